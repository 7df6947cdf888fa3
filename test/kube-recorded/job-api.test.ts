import { buildJobManifest, jobName } from '@ferry/executor-kubernetes';
import { FAKE_NAMESPACE } from './support/fake-apiserver.ts';
import { MANIFEST, startHarness, type Harness } from './support/harness.ts';
import { condition, eventually, launchOf, pipelineOf, queuedJob, withStatus } from './support/kube-objects.ts';

const JOBS = `/apis/batch/v1/namespaces/${FAKE_NAMESPACE}/jobs`;

describe('KubernetesExecutor: the Job API calls', () => {
  let harness: Harness;

  beforeEach(async () => {
    harness = await startHarness();
    await harness.executor.ready();
  });
  afterEach(() => harness.close());

  it('creates exactly the manifest buildJobManifest builds, and takes 409 AlreadyExists as success', async () => {
    const { executor, fake } = harness;
    const job = queuedJob();
    const launch = launchOf(job);

    await executor.start(launch);
    await executor.start(launch);

    const creates = fake.requestsTo('POST', JOBS);
    expect(creates).toHaveLength(2);
    const expected = buildJobManifest(job, pipelineOf(job), { ...MANIFEST, namespace: FAKE_NAMESPACE });
    expect(creates[0]?.body).toEqual(JSON.parse(JSON.stringify(expected)));
    expect(creates[0]?.headers['content-type']).toBe('application/json');
    expect(creates[0]?.headers.authorization).toBe('Bearer test-token');
    expect(fake.get('jobs', jobName(job.id))).toBeDefined();
  });

  it('stops with DELETE propagationPolicy=Background, and a Job already gone (404) is success', async () => {
    const { executor, fake } = harness;
    const job = queuedJob();
    await executor.start(launchOf(job));

    await executor.stop(job.tenant, job.id);
    await executor.stop(job.tenant, job.id);

    const deletes = fake.requestsTo('DELETE', `${JOBS}/${jobName(job.id)}`);
    expect(deletes).toHaveLength(2);
    for (const request of deletes) expect(request.query).toEqual({ propagationPolicy: 'Background' });
    expect(fake.get('jobs', jobName(job.id))).toBeUndefined();
  });

  it('release leaves a Job that has not ended alone: the reconcile deletes it, a TTL would be a wasted write', async () => {
    const { executor, fake } = harness;
    const job = queuedJob();
    await executor.start(launchOf(job));
    await eventually(() => expect(executor.observe(job.tenant, job.id).phase).toBe('pending'));
    executor.release(job.tenant, job.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requests.filter((request) => request.method === 'PATCH')).toEqual([]);
  });

  it('release merge-patches ttlSecondsAfterFinished once the Job has ended and is final in the record; a Job not in the cache is left alone', async () => {
    const { executor, fake } = harness;
    const job = queuedJob();
    await executor.start(launchOf(job));
    await eventually(() => expect(executor.observe(job.tenant, job.id).phase).toBe('pending'));
    const stored = fake.get('jobs', jobName(job.id));
    if (stored === undefined) throw new Error('no Job');
    fake.emit('jobs', 'MODIFIED', withStatus(stored, { failed: 1, conditions: [condition('Failed', 'BackoffLimitExceeded')] }));
    await eventually(() => expect(executor.observe(job.tenant, job.id).phase).toBe('finished'));

    executor.release(job.tenant, job.id);
    executor.release(job.tenant, job.id); // still in flight: not sent twice

    const path = `${JOBS}/${jobName(job.id)}`;
    await eventually(() => expect(fake.get('jobs', jobName(job.id))?.['spec']).toMatchObject({ ttlSecondsAfterFinished: 600 }));
    const patches = fake.requestsTo('PATCH', path);
    expect(patches).toHaveLength(1);
    expect(patches[0]?.headers['content-type']).toBe('application/merge-patch+json');
    expect(patches[0]?.body).toEqual({ metadata: { annotations: { 'ferry.dev/final-recorded': 'true' } }, spec: { ttlSecondsAfterFinished: 600 } });

    // The cache now shows the patch: a later release (every reconcile of a final job calls it) sends nothing.
    await eventually(() => expect(fake.openWatches('jobs')).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    executor.release(job.tenant, job.id);
    executor.release('acme', queuedJob().id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
  });

  it('names itself after its namespace and describes a job by its Job name', () => {
    const job = queuedJob();
    expect(harness.executor.name).toBe(`kubernetes/${FAKE_NAMESPACE}`);
    expect(harness.executor.kind).toBe('kubernetes');
    expect(harness.executor.retriesAttempts).toBe(true);
    expect(harness.executor.describe(job.tenant, job.id)).toEqual({ kind: 'kubernetes', name: `ferry-${job.id}`, namespace: FAKE_NAMESPACE });
  });
});
