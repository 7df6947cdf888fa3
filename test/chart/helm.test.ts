// The chart renders, lints and validates: helm lint --strict, helm template and kubeconform -strict
// (offline Kubernetes schemas) for the defaults and every ci/ values file; values.schema.json
// refuses unknown keys; impossible values fail with a message naming what to change.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { ensureKubernetesSchemas, KUBERNETES_VERSION, type K8sTools } from '../../scripts/k8s-tools.ts';
import { CHART_DIR, helm, helmTemplateArgs, kubeconform, renderChart, VALUE_SETS, type Manifest } from './support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
/** The oldest Kubernetes the chart claims (Chart.yaml kubeVersion), and its schemas. */
let oldest: { version: string; schemas: string };
beforeAll(async () => {
  tools = await k8sTools();
  const chart = parse(await readFile(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { kubeVersion: string };
  const version = /^>=(\d+\.\d+\.\d+)-0$/.exec(chart.kubeVersion)?.[1];
  if (version === undefined) throw new Error(`Chart.yaml kubeVersion ${chart.kubeVersion} is not ">=x.y.z-0"`);
  oldest = { version, schemas: await ensureKubernetesSchemas((line) => console.log(`[k8s-tools] ${line}`), version) };
}, TOOLS_TIMEOUT_MS);

/** Kinds a namespaced Role can never cover: the chart must render none of them. */
const CLUSTER_SCOPED = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'PriorityClass',
]);

describe.each(VALUE_SETS)('chart with %s', (_name, args) => {
  it('passes helm lint --strict', async () => {
    const outcome = await helm(tools.helm, ['lint', CHART_DIR, '--strict', '--kube-version', KUBERNETES_VERSION, ...args]);
    expect(outcome.stderr + outcome.stdout).toContain('0 chart(s) failed');
    expect(outcome.code).toBe(0);
  });

  it('renders only namespaced resources, each with its namespace set, besides the jobs namespace it creates', async () => {
    const manifests = await renderChart(tools.helm, args);
    expect(manifests.length).toBeGreaterThan(10);
    const created = manifests.filter((manifest) => manifest.kind === 'Namespace');
    expect(created).toHaveLength(1);
    expect(created[0]?.metadata.name).toMatch(/-jobs$/);
    expect(created[0]?.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    for (const manifest of manifests.filter((each) => each.kind !== 'Namespace')) {
      expect(CLUSTER_SCOPED.has(manifest.kind), `${manifest.kind}/${manifest.metadata.name}`).toBe(false);
      expect(manifest.metadata.namespace, `${manifest.kind}/${manifest.metadata.name} has no namespace`).toMatch(/^[a-z0-9-]+$/);
    }
  });

  it(`is valid for Kubernetes ${KUBERNETES_VERSION} (kubeconform -strict, offline schemas)`, async () => {
    const rendered = await helm(tools.helm, helmTemplateArgs(args));
    expect(rendered.code, rendered.stderr).toBe(0);
    const outcome = await kubeconform(tools.kubeconform, tools.schemas, rendered.stdout);
    expect(outcome.stdout + outcome.stderr).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    expect(outcome.code).toBe(0);
  });

  it('is valid for the oldest Kubernetes it claims (Chart.yaml kubeVersion)', async () => {
    const rendered = await helm(tools.helm, helmTemplateArgs([...args, '--kube-version', oldest.version]));
    expect(rendered.code, rendered.stderr).toBe(0);
    const outcome = await kubeconform(tools.kubeconform, oldest.schemas, rendered.stdout);
    expect(outcome.stdout + outcome.stderr).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
  });
});

describe('kubeconform and its schemas', () => {
  it('rejects an unknown field deep in a pod spec (the schemas really are strict)', async () => {
    const rendered = await helm(tools.helm, helmTemplateArgs([]));
    const broken = rendered.stdout.replace(
      '          ports:\n            - name: http\n              containerPort: 8080\n',
      '          ports:\n            - name: http\n              containerPort: 8080\n              nope: 1\n',
    );
    expect(broken).not.toBe(rendered.stdout);
    const outcome = await kubeconform(tools.kubeconform, tools.schemas, broken);
    expect(outcome.code).not.toBe(0);
    expect(outcome.stdout).toMatch(/Deployment ferry-gateway is invalid.*additional properties 'nope' not allowed/);
  });
});

describe('values.schema.json', () => {
  it.each([
    [['--set', 'nope=1'], "at '': additional properties 'nope' not allowed"],
    [['--set', 'gateway.nope=1'], "at '/gateway': additional properties 'nope' not allowed"],
    [['--set', 'nats.embedded.persistence.sizee=1Gi'], "at '/nats/embedded/persistence': additional properties 'sizee' not allowed"],
    [['--set', 'gateway.replicaCount=two'], "at '/gateway/replicaCount'"],
    [['--set', 'auth.apiKeys[0].tenant=Acme', '--set', `auth.apiKeys[0].sha256=${'a'.repeat(64)}`], "at '/auth/apiKeys/0/tenant'"],
    [['--set', 'auth.apiKeys[0].tenant=acme', '--set', 'auth.apiKeys[0].sha256=not-a-hash'], "at '/auth/apiKeys/0/sha256'"],
    [['--set', 'logLevel=loud'], "at '/logLevel'"],
    [['--set', 'jobs.sourceAllowCIDRs[0]=10.0.0.0'], "at '/jobs/sourceAllowCIDRs/0'"],
  ])('refuses %j', async (args, message) => {
    const outcome = await helm(tools.helm, helmTemplateArgs(args));
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain("values don't meet the specifications of the schema");
    expect(outcome.stderr).toContain(message);
  });

  it('refuses a container pipeline without image and command', async () => {
    const values = await valuesFile({ pipelines: [{ name: 'shout', kind: 'container', description: 'x' }], tests: { enabled: false } });
    const outcome = await helm(tools.helm, helmTemplateArgs(['-f', values]));
    expect(outcome.stderr).toContain("at '/pipelines/0': missing properties 'image', 'command'");
  });

  it('closes every object: additionalProperties false, a typed map, or a named passthrough', async () => {
    const schema = JSON.parse(await readFile(join(CHART_DIR, 'values.schema.json'), 'utf8')) as SchemaNode;
    const open = openObjects(schema, '#');
    // Kubernetes' Affinity, a pipeline's own JSON Schema, Helm's `global`: each says why in $comment.
    expect(open).toEqual([]);
  });
});

describe('impossible values fail with a precise message', () => {
  it.each([
    [['--set', 'nats.embedded.enabled=false'], 'nats: no NATS server. Set nats.external.url'],
    [
      ['--set', 'nats.external.url=nats://nats.nats.svc:4222'],
      'nats: nats.external.url=nats://nats.nats.svc:4222 and nats.embedded.enabled=true are both set',
    ],
    [['--set', 'nats.external.existingSecret=creds'], 'nats: nats.external.existingSecret applies to an external server only'],
    [['--set', 'auth.generatedKey.enabled=false'], 'auth: no API keys. Set auth.apiKeys'],
    [['--set', 'auth.existingSecret=keys'], 'auth: auth.generatedKey.enabled=true cannot add its key to auth.existingSecret'],
    [['--set', 'auth.existingSecret=keys', '--set', 'auth.generatedKey.enabled=false'], 'tests: the helm test needs an API key in clear'],
    [
      ['--set', 'auth.existingSecret=keys', '--set', 'auth.apiKeys[0].tenant=acme', '--set', `auth.apiKeys[0].sha256=${'a'.repeat(64)}`],
      'auth: auth.apiKeys and auth.existingSecret are both set',
    ],
    [
      ['--set', 'gateway.autoscaling.minReplicas=5', '--set', 'gateway.autoscaling.maxReplicas=3'],
      'gateway.autoscaling: minReplicas (5) is greater than maxReplicas (3)',
    ],
    [['--set', 'controller.pdb.minAvailable=1'], 'controller.pdb: set maxUnavailable or minAvailable, not both'],
    [['--set', 'gateway.pdb.maxUnavailable='], 'gateway.pdb: set maxUnavailable or minAvailable, or pdb.enabled=false'],
    [
      ['--set', 'nats.embedded.jetstream.maxFileStore=6GB'],
      'storage.natsBytes (7516192768) does not fit in nats.embedded.jetstream.maxFileStore (6GB)',
    ],
  ])('%j', async (args, message) => {
    const outcome = await helm(tools.helm, helmTemplateArgs(args));
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toContain(message);
  });

  it('names a pipeline used twice, and a missing sleep pipeline for the helm test', async () => {
    const sleep = { name: 'sleep', kind: 'sleep', description: 'Sleep.' };
    const twice = await helm(tools.helm, helmTemplateArgs(['-f', await valuesFile({ pipelines: [sleep, sleep] })]));
    expect(twice.stderr).toContain('pipelines: the name "sleep" is used twice');
    const noSleep = await helm(tools.helm, helmTemplateArgs(['-f', await valuesFile({ pipelines: [{ ...sleep, name: 'nap' }] })]));
    expect(noSleep.stderr).toContain('tests: the helm test submits a `sleep` job and pipelines has no entry named sleep');
  });
});

describe('generated secrets', () => {
  it('hash the generated key into the key file, once per render', async () => {
    const manifests = await renderChart(tools.helm);
    const key = secretData(manifests, 'ferry-api-key', 'api-key');
    const file = secretData(manifests, 'ferry-api-keys', 'api-keys');
    expect(key).toMatch(/^[A-Za-z0-9]{40}$/);
    const { createHash } = await import('node:crypto');
    expect(file).toContain(`default:sha256:${createHash('sha256').update(key).digest('hex')}`);
    expect(secretData(manifests, 'ferry-result-secret', 'result-secret')).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(secretData(manifests, 'ferry-nats-auth', 'token')).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('are not rendered when the operator names existing Secrets', async () => {
    const manifests = await renderChart(tools.helm, ['-f', join(CHART_DIR, 'ci', 'external-nats-values.yaml')]);
    expect(manifests.filter((manifest) => manifest.kind === 'Secret')).toEqual([]);
  });
});

describe('NOTES.txt', () => {
  it('shows a port-forward, the generated key and a curl that submits a sleep job', async () => {
    const notes = await renderNotes(tools.helm, []);
    expect(notes).toContain('kubectl -n ferry port-forward svc/ferry-gateway 8080:8080 &');
    expect(notes).toContain("KEY=$(kubectl -n ferry get secret ferry-api-key -o jsonpath='{.data.api-key}' | base64 -d)");
    expect(notes).toMatch(
      /curl -s \$URL\/v1\/jobs -H "Authorization: Bearer \$KEY" -H 'Content-Type: application\/json' \\\n\s+-d '\{"pipeline":"sleep"/,
    );
    expect(notes).toContain('helm test ferry -n ferry');
    expect(notes).not.toContain('WARNING');
  });

  it('warns about jobs beside the release\'s Secrets, a missing monitoring API and a NATS without a volume; names a jobs namespace to label', async () => {
    const beside = await renderNotes(tools.helm, ['--set', 'jobs.namespace=ferry']);
    expect(beside).toContain('WARNING: Jobs run in the release namespace ferry, beside its Secrets');
    const existing = await renderNotes(tools.helm, ['--set', 'jobs.createNamespace=false']);
    expect(existing).toContain('kubectl label namespace ferry-jobs pod-security.kubernetes.io/enforce=restricted');
    const notes = await renderNotes(tools.helm, [
      '--set',
      'jobs.namespace=ferry-jobs',
      '--set',
      'gateway.metrics.serviceMonitor.enabled=true',
      '--set',
      'nats.embedded.persistence.enabled=false',
    ]);
    expect(notes).not.toContain('kubectl label namespace');
    expect(notes).toContain('no monitoring.coreos.com/v1 API');
    expect(notes).toContain('nats.embedded.persistence.enabled=false');
  });
});

interface SchemaNode {
  readonly [keyword: string]: unknown;
}

/** Paths of object schemas that accept keys nobody declared, unless a $comment says why. */
function openObjects(node: unknown, path: string): string[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, index) => openObjects(item, `${path}/${index}`));
  const schema = node as SchemaNode;
  const own: string[] = [];
  const isObject = schema['type'] === 'object' || (Array.isArray(schema['type']) && schema['type'].includes('object'));
  const passthrough = typeof schema['$comment'] === 'string' && schema['$comment'].startsWith('Passthrough:');
  if (isObject && schema['additionalProperties'] === undefined && !passthrough) own.push(path);
  if (isObject && schema['additionalProperties'] === true) own.push(path);
  return [...own, ...Object.entries(schema).flatMap(([key, value]) => openObjects(value, `${path}/${key}`))];
}

async function valuesFile(values: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-values-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'values.yaml');
  await writeFile(path, stringify(values));
  return path;
}

function secretData(manifests: readonly Manifest[], name: string, key: string): string {
  const secret = manifests.find((manifest) => manifest.kind === 'Secret' && manifest.metadata.name === name);
  const data = (secret?.['data'] as Record<string, string> | undefined)?.[key];
  if (data === undefined) throw new Error(`no Secret ${name} with key ${key}`);
  return Buffer.from(data, 'base64').toString('utf8');
}

/**
 * helm renders NOTES.txt only on install, which needs a cluster. So a copy of the chart gets the
 * same text as a template that `helm template` prints: a define of NOTES.txt, placed in a ConfigMap.
 */
async function renderNotes(helmBinary: string, args: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-notes-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const chart = join(dir, 'ferry');
  await cp(CHART_DIR, chart, { recursive: true });
  const notes = await readFile(join(chart, 'templates', 'NOTES.txt'), 'utf8');
  await writeFile(join(chart, 'templates', '_notes-under-test.tpl'), `{{- define "test.notes" -}}\n${notes}\n{{- end -}}\n`);
  await writeFile(
    join(chart, 'templates', 'notes-under-test.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | toJson }}\n',
  );
  // The ServiceMonitor warning depends on the API's absence: no --api-versions here.
  const outcome = await helm(helmBinary, [
    ...['template', 'ferry', chart, '--namespace', 'ferry', '--kube-version', KUBERNETES_VERSION],
    ...['--show-only', 'templates/notes-under-test.yaml', ...args],
  ]);
  if (outcome.code !== 0) throw new Error(outcome.stderr);
  const match = /notes: (".*")\n/.exec(outcome.stdout);
  if (match?.[1] === undefined) throw new Error(`no notes in:\n${outcome.stdout}`);
  return JSON.parse(match[1]) as string;
}
