import type { V1Container, V1Job } from '@kubernetes/client-node';
import { RUNNER_ENV, createQueuedJob, signAttemptToken, type Job } from '@ferry/contracts';
import { specPipeline as pipeline } from '@ferry/pipelines/testing';
import { buildJobManifest, type JobManifestSettings } from './job-manifest.builder.js';

const settings: JobManifestSettings = {
  namespace: 'ferry-jobs',
  runnerImage: 'ghcr.io/ferry/ferry:1.2.3',
  runnerCommand: ['node', 'apps/runner/dist/main.js'],
  serviceAccountName: 'ferry-runner',
  gatewayUrl: 'http://ferry-gateway.ferry.svc:8080/',
  resultSecret: 'a-result-secret-of-enough-length-0123456789',
  runnerEnv: { FERRY_DUCKDB_THREADS: '2', FERRY_SOURCE_ALLOW_CIDRS: '10.1.0.0/16' },
  runnerUid: 10001,
  ephemeralStorage: { request: '1Gi', limit: '4Gi' },
};

const ID = '01j9z3k8x2m4n6p8q0r2s4t6v8';

function jobFor(pipeline: string, params: Record<string, unknown>, limits: { maxAttempts?: number; timeoutSeconds?: number } = {}): Job {
  return createQueuedJob({
    id: ID,
    tenant: 'acme',
    pipeline,
    params,
    labels: {},
    maxAttempts: limits.maxAttempts ?? 3,
    timeoutSeconds: limits.timeoutSeconds ?? 3600,
    startDeadlineSeconds: 600,
    now: new Date('2030-01-01T00:00:00Z'),
  });
}

function container(manifest: V1Job): V1Container {
  const only = manifest.spec?.template.spec?.containers[0];
  if (only === undefined || manifest.spec?.template.spec?.containers.length !== 1) throw new Error('expected one container');
  return only;
}

function env(manifest: V1Job): Record<string, string | undefined> {
  return Object.fromEntries((container(manifest).env ?? []).map(({ name, value }) => [name, value]));
}

const SQL_PARAMS = { sources: { t: { url: 'https://example.org/t.csv', format: 'csv' } }, sql: 'SELECT 1', output: { format: 'csv' } };

describe('buildJobManifest (docs/architecture.md §6)', () => {
  const sqlJob = jobFor('sql', SQL_PARAMS, { maxAttempts: 4, timeoutSeconds: 900 });
  const manifest = buildJobManifest(sqlJob, pipeline('sql'), settings);
  const labels = {
    'app.kubernetes.io/managed-by': 'ferry-controller',
    'app.kubernetes.io/part-of': 'ferry',
    'app.kubernetes.io/component': 'job',
    'ferry.dev/job-id': ID,
    'ferry.dev/tenant': 'acme',
    'ferry.dev/pipeline': 'sql',
  };

  it('is a batch/v1 Job named ferry-<id> in the namespace, with Ferry’s labels on the Job and its pods', () => {
    expect(manifest.apiVersion).toBe('batch/v1');
    expect(manifest.kind).toBe('Job');
    expect(manifest.metadata?.name).toBe(`ferry-${ID}`);
    expect(manifest.metadata?.name?.length).toBeLessThanOrEqual(63);
    expect(manifest.metadata?.namespace).toBe('ferry-jobs');
    expect(manifest.metadata?.labels).toEqual(labels);
    expect(manifest.metadata?.annotations).toEqual({ 'ferry.dev/created-at': '2030-01-01T00:00:00.000Z' });
    expect(manifest.spec?.template.metadata?.labels).toEqual(labels);
  });

  it('lets Kubernetes run every attempt: backoffLimit = maxAttempts − 1, the deadline from timeoutSeconds', () => {
    expect(manifest.spec?.backoffLimit).toBe(3);
    expect(buildJobManifest(jobFor('sleep', {}, { maxAttempts: 1 }), pipeline('sleep'), settings).spec?.backoffLimit).toBe(0);
    expect(manifest.spec?.activeDeadlineSeconds).toBe(900);
    expect(manifest.spec?.template.spec?.restartPolicy).toBe('Never');
    expect(manifest.spec?.podReplacementPolicy).toBe('Failed');
  });

  it('fails the Job at once on the permanent exit code and ignores disruptions', () => {
    expect(manifest.spec?.podFailurePolicy?.rules).toEqual([
      { action: 'FailJob', onExitCodes: { containerName: 'job', operator: 'In', values: [2] } },
      { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    ]);
  });

  it('runs restricted: non-root, RuntimeDefault seccomp, no privilege escalation, no capabilities, read-only root, no token', () => {
    const pod = manifest.spec?.template.spec;
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(pod?.enableServiceLinks).toBe(false);
    expect(pod?.serviceAccountName).toBe('ferry-runner');
    expect(pod?.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(manifest).securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // The only writable place is a private emptyDir at /tmp.
    expect(container(manifest).volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod?.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '4Gi' } }]);
  });

  it('takes resources, node selector and tolerations from the pipeline, and sets none a pipeline lacks but the disk', () => {
    expect(container(manifest).resources).toEqual({
      requests: { cpu: '500m', memory: '512Mi', 'ephemeral-storage': '1Gi' },
      limits: { memory: '2Gi', 'ephemeral-storage': '4Gi' },
    });
    expect(manifest.spec?.template.spec?.nodeSelector).toEqual({ pool: 'etl' });
    expect(manifest.spec?.template.spec?.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'etl', effect: 'NoSchedule' }]);
    const sleep = buildJobManifest(jobFor('sleep', { seconds: 1 }), pipeline('sleep'), settings);
    expect(container(sleep).resources).toEqual({ requests: { 'ephemeral-storage': '1Gi' }, limits: { 'ephemeral-storage': '4Gi' } });
    expect(sleep.spec?.template.spec).not.toHaveProperty('nodeSelector');
    expect(sleep.spec?.template.spec).not.toHaveProperty('tolerations');
  });

  it("bounds the pod's disk by the pipeline's ephemeral-storage, else the default: the limit, /tmp's size, and the runner's shares", () => {
    expect(env(manifest)).toMatchObject({ [RUNNER_ENV.sourceMaxBytes]: String(2 * 1024 ** 3), [RUNNER_ENV.duckdbTempMaxBytes]: String(1024 ** 3) });
    const sql = pipeline('sql');
    const roomy = { ...sql, entry: { ...sql.entry, resources: { requests: { 'ephemeral-storage': '2Gi' }, limits: { 'ephemeral-storage': '8Gi' } } } };
    const built = buildJobManifest(sqlJob, roomy, settings);
    expect(container(built).resources).toEqual({ requests: { 'ephemeral-storage': '2Gi' }, limits: { 'ephemeral-storage': '8Gi' } });
    expect(built.spec?.template.spec?.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '8Gi' } }]);
    expect(env(built)).toMatchObject({ [RUNNER_ENV.sourceMaxBytes]: String(4 * 1024 ** 3), [RUNNER_ENV.duckdbTempMaxBytes]: String(2 * 1024 ** 3) });
    // A pipeline that names only a limit below the default request gets a request at its limit.
    const small = { ...sql, entry: { ...sql.entry, resources: { limits: { 'ephemeral-storage': '512Mi' } } } };
    expect(container(buildJobManifest(sqlJob, small, settings)).resources).toEqual({ requests: { 'ephemeral-storage': '512Mi' }, limits: { 'ephemeral-storage': '512Mi' } });
  });

  it('runs a built-in pipeline with Ferry’s image and runner command, its spec in FERRY_JOB', () => {
    expect(container(manifest).name).toBe('job');
    expect(container(manifest).image).toBe('ghcr.io/ferry/ferry:1.2.3');
    expect(container(manifest).command).toEqual(['node']);
    expect(container(manifest).args).toEqual(['apps/runner/dist/main.js']);
    expect(JSON.parse(env(manifest)[RUNNER_ENV.job] ?? '')).toEqual({ id: ID, tenant: 'acme', pipeline: 'sql', kind: 'sql', attempt: 'current', params: SQL_PARAMS });
  });

  it('runs a container pipeline with its own image and the rendered argv, never through a shell of ours', () => {
    const job = jobFor('shout', { word: 'hello; rm -rf /', times: 3 });
    const shout = buildJobManifest(job, pipeline('shout'), settings);
    expect(container(shout).image).toBe('docker.io/library/busybox:1.36');
    expect(container(shout).command).toEqual(['sh']);
    expect(container(shout).args).toEqual(['-c', 'echo "$0" | tr a-z A-Z', 'hello; rm -rf /', '--times=3']);
    expect(JSON.parse(env(shout)[RUNNER_ENV.job] ?? '')).toMatchObject({ kind: 'container', argv: ['sh', '-c', 'echo "$0" | tr a-z A-Z', 'hello; rm -rf /', '--times=3'] });
    // An operator's image runs as its own user: no uid is imposed, non-root still is.
    expect(shout.spec?.template.spec?.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  });

  it('gives the pod the result URL and a token for the Job’s current attempt, and the runner environment', () => {
    const values = env(manifest);
    expect(values[RUNNER_ENV.resultUrl]).toBe(`http://ferry-gateway.ferry.svc:8080/internal/v1/results/acme/${ID}/current`);
    expect(values[RUNNER_ENV.resultToken]).toBe(signAttemptToken(settings.resultSecret, 'acme', ID, 'current'));
    expect(values['FERRY_DUCKDB_THREADS']).toBe('2');
    expect(values['FERRY_SOURCE_ALLOW_CIDRS']).toBe('10.1.0.0/16');
    expect(values[RUNNER_ENV.tmpDir]).toBe('/tmp');
  });

  it('leaves ttlSecondsAfterFinished out: the executor sets it once Ferry recorded the final state', () => {
    expect(manifest.spec).not.toHaveProperty('ttlSecondsAfterFinished');
  });

  it('creates the Job suspended, with the queue label, when Kueue admits jobs', () => {
    expect(manifest.spec).not.toHaveProperty('suspend');
    const queued = buildJobManifest(sqlJob, pipeline('sql'), { ...settings, kueueQueueName: 'etl-queue' });
    expect(queued.spec?.suspend).toBe(true);
    expect(queued.metadata?.labels).toEqual({ ...labels, 'kueue.x-k8s.io/queue-name': 'etl-queue' });
    expect(queued.spec?.template.metadata?.labels).toEqual(labels);
  });

  it('is pure: the same record and pipeline give the same object', () => {
    expect(buildJobManifest(sqlJob, pipeline('sql'), settings)).toEqual(manifest);
  });
});

describe('buildJobManifest: extra pod labels', () => {
  it('adds them to the pod template only, and never over Ferry\'s own', () => {
    const built = buildJobManifest(jobFor('sleep', { seconds: 1 }), pipeline('sleep'), {
      ...settings,
      podLabels: { 'ferry.dev/pod-agent': 'true', 'ferry.dev/tenant': 'mallory' },
    });
    expect(built.spec?.template.metadata?.labels).toMatchObject({ 'ferry.dev/pod-agent': 'true', 'ferry.dev/tenant': 'acme' });
    expect(built.metadata?.labels).not.toHaveProperty('ferry.dev/pod-agent');
  });
});
