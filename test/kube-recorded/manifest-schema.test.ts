import { stringify } from 'yaml';
import { createQueuedJob, newJobId, transitionJob, type Job } from '@ferry/contracts';
import { buildJobManifest } from '@ferry/executor-kubernetes';
import { parseCatalog } from '@ferry/pipelines';
import { kubeconform } from '../chart/support/chart.ts';
import { TOOLS_TIMEOUT_MS, k8sTools } from '../chart/support/tools.ts';

// Pipelines that exercise every optional part of the manifest: resources, node selector, tolerations, container argv.
const catalog = parseCatalog(`
pipelines:
  - { name: sql, kind: sql, description: d, resources: { requests: { cpu: 500m, memory: 512Mi }, limits: { memory: 2Gi } } }
  - name: sleep
    kind: sleep
    description: d
    nodeSelector: { kubernetes.io/arch: amd64 }
    tolerations: [{ key: dedicated, operator: Equal, value: etl, effect: NoSchedule }]
  - { name: shout, kind: container, description: d, image: 'registry.example.com/shout:1', command: [sh, /app/shout.sh], args: ['{{params.word}}'], paramsSchema: { type: object, properties: { word: { type: string } } } }
`);

function job(pipeline: string, params: Record<string, unknown>): Job {
  const queued = createQueuedJob({ id: newJobId(), tenant: 'acme', pipeline, params, labels: {}, maxAttempts: 3, timeoutSeconds: 600, startDeadlineSeconds: 60, now: new Date() });
  return transitionJob(queued, { state: 'starting', attempt: 1 }, new Date());
}

const settings = {
  namespace: 'ferry-jobs',
  runnerImage: 'registry.example.com/ferry:0.1.0',
  runnerCommand: ['node', '/app/apps/runner/dist/main.js'],
  runnerUid: 10001,
  serviceAccountName: 'ferry-runner',
  gatewayUrl: 'http://ferry-gateway.ferry.svc:8080',
  resultSecret: 'x'.repeat(40),
  runnerEnv: { FERRY_SOURCE_ALLOW_LOOPBACK: 'false' },
  ephemeralStorage: { request: '1Gi', limit: '4Gi' },
};

describe('buildJobManifest against the official Kubernetes schema (strict: unknown fields fail)', () => {
  it('every built Job validates', async () => {
    const tools = await k8sTools();
    const manifests = [
      buildJobManifest(job('sql', { sources: { t: { url: 'https://example.com/a.csv', format: 'csv' } }, sql: 'SELECT 1' }), catalog.get('sql')!, settings),
      buildJobManifest(job('sleep', { seconds: 1 }), catalog.get('sleep')!, settings),
      buildJobManifest(job('shout', { word: 'hi' }), catalog.get('shout')!, { ...settings, kueueQueueName: 'team-a' }),
    ];
    const outcome = await kubeconform(tools.kubeconform, tools.schemas, manifests.map((manifest) => stringify(manifest)).join('---\n'));
    expect(outcome.stderr).toBe('');
    expect(outcome.code, outcome.stdout).toBe(0);
    expect(outcome.stdout).toMatch(/Valid: 3, Invalid: 0, Errors: 0/);
  }, TOOLS_TIMEOUT_MS);

  it('the validation is strict: an unknown field fails', async () => {
    const tools = await k8sTools();
    const manifest = buildJobManifest(job('sleep', { seconds: 1 }), catalog.get('sleep')!, settings) as unknown as { spec: Record<string, unknown> };
    manifest.spec['backoffLimitt'] = 2;
    const outcome = await kubeconform(tools.kubeconform, tools.schemas, stringify(manifest));
    expect(outcome.code).not.toBe(0);
  }, TOOLS_TIMEOUT_MS);
});
