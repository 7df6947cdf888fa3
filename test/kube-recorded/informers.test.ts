import { jobKey, type Job } from '@ferry/contracts';
import { jobName, type KubernetesExecutor } from '@ferry/executor-kubernetes';
import { FAKE_NAMESPACE, type FakeApiServer } from './support/fake-apiserver.ts';
import { startHarness, type Harness } from './support/harness.ts';
import { condition, eventually, launchOf, podObject, queuedJob, withStatus } from './support/kube-objects.ts';

const JOBS = `/apis/batch/v1/namespaces/${FAKE_NAMESPACE}/jobs`;
const PODS = `/api/v1/namespaces/${FAKE_NAMESPACE}/pods`;
const SELECTOR = 'app.kubernetes.io/managed-by=ferry-controller';

async function created(executor: KubernetesExecutor, fake: FakeApiServer, job: Job): Promise<void> {
  await executor.start(launchOf(job));
  await eventually(() => expect(executor.observe(job.tenant, job.id).phase).not.toBe('absent'));
  expect(fake.get('jobs', jobName(job.id))).toBeDefined();
}

function storedJob(fake: FakeApiServer, job: Job): Record<string, unknown> & { metadata: { name: string; resourceVersion?: string } } {
  const stored = fake.get('jobs', jobName(job.id));
  if (stored === undefined) throw new Error('no Job stored');
  return stored;
}

describe('KubernetesExecutor: informers', () => {
  let harness: Harness;
  afterEach(() => harness.close());

  it('lists, then watches from the list’s resourceVersion, both with the managed-by selector; observe is absent until ready', async () => {
    const job = queuedJob();
    harness = await startHarness({}, (fake) => {
      fake.put('pods', podObject(job, { index: 0, phase: 'Pending', unschedulable: '0/3 nodes are available: insufficient memory.' }));
    });
    const { executor, fake } = harness;
    // Documented: before both caches listed once, every job is absent — the controller awaits ready().
    expect(executor.observe(job.tenant, job.id)).toEqual({ phase: 'absent' });
    await executor.ready();

    expect(executor.observe(job.tenant, job.id)).toEqual({ phase: 'absent' }); // no Job yet, only a pod
    for (const path of [JOBS, PODS]) {
      await eventually(() => expect(fake.requests.filter((request) => request.path === path)).toHaveLength(2));
      const [list, watch] = fake.requests.filter((request) => request.path === path);
      expect(list?.query).toEqual({ labelSelector: SELECTOR });
      expect(watch?.query).toEqual({ watch: 'true', labelSelector: SELECTOR, resourceVersion: expect.stringMatching(/^\d+$/), allowWatchBookmarks: 'true' });
    }
  });

  it('tells the sink about every Job and pod event of a job, and observe follows the cache', async () => {
    harness = await startHarness();
    const { executor, fake, sink } = harness;
    await executor.ready();
    const job = queuedJob();
    const key = jobKey(job.tenant, job.id);
    await created(executor, fake, job);
    expect(sink.changes).toContain(key);

    // Pending, with the scheduler's reason.
    const pending = podObject(job, { index: 0, phase: 'Pending', unschedulable: '0/3 nodes are available: insufficient memory.' });
    const before = sink.changes.length;
    fake.emit('pods', 'ADDED', pending);
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'pending', attempt: 1, reason: 'Unschedulable', message: '0/3 nodes are available: insufficient memory.' }));
    expect(sink.changes.slice(before)).toContain(key);

    // Running.
    fake.emit('pods', 'MODIFIED', podObject(job, { index: 0, phase: 'Running' }));
    fake.emit('jobs', 'MODIFIED', withStatus(storedJob(fake, job), { active: 1, startTime: '2030-01-01T00:00:02Z' }));
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'running', attempt: 1, stopping: false }));

    // Complete: the pod's log ends with the container, then the Job is finished, succeeded.
    const pod = pending.metadata.name;
    fake.logs.append(pod, { at: '2030-01-01T00:00:03.5Z', text: 'done' });
    fake.emit('pods', 'MODIFIED', podObject(job, { index: 0, phase: 'Succeeded' }));
    fake.logs.end(pod);
    fake.emit('jobs', 'MODIFIED', withStatus(storedJob(fake, job), { succeeded: 1, completionTime: '2030-01-01T00:01:40Z', conditions: [condition('Complete')] }));
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'finished', outcome: 'succeeded', attempt: 1, finishedAt: new Date('2030-01-01T00:01:40Z') }));
    expect(sink.linesOf(key)).toEqual(['done']);
  });

  it('observes Failed/BackoffLimitExceeded as finished, failed, after the last attempt', async () => {
    harness = await startHarness();
    const { executor, fake } = harness;
    await executor.ready();
    const job = queuedJob({ maxAttempts: 2 });
    await created(executor, fake, job);
    fake.emit('pods', 'ADDED', podObject(job, { index: 0, phase: 'Failed', exitCode: 75 }));
    fake.emit('pods', 'ADDED', podObject(job, { index: 1, phase: 'Failed', exitCode: 75 }));
    for (const index of [0, 1]) fake.logs.end(`${jobName(job.id)}-${index}`);
    fake.emit('jobs', 'MODIFIED', withStatus(storedJob(fake, job), { failed: 2, conditions: [condition('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')] }));
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'finished', outcome: 'failed', attempt: 2, reason: 'BackoffLimitExceeded', message: 'attempt 2 of 2 failed' }));
  });

  it('restarts a watch that failed with HTTP 500, and one whose connection dropped, resuming from its resourceVersion', async () => {
    harness = await startHarness({}, (fake) => fake.planWatches('pods', { status: 500 }));
    const { executor, fake } = harness;
    await executor.ready();
    await eventually(() => expect(fake.requestsTo('GET', PODS, (request) => request.query['watch'] === 'true')).toHaveLength(2));
    await eventually(() => expect(fake.openWatches('pods')).toBe(1));

    const job = queuedJob();
    await created(executor, fake, job);
    fake.emit('pods', 'ADDED', podObject(job, { index: 0, phase: 'Pending', unschedulable: 'no nodes' }));
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'pending', reason: 'Unschedulable' }));

    // The connection breaks; what changes meanwhile arrives on the resumed watch.
    const watchesBefore = fake.requestsTo('GET', JOBS, (request) => request.query['watch'] === 'true').length;
    const rvBefore = storedJob(fake, job).metadata.resourceVersion;
    fake.dropWatches('jobs');
    fake.emit('jobs', 'MODIFIED', withStatus(storedJob(fake, job), { failed: 1, conditions: [condition('Failed', 'DeadlineExceeded', 'Job was active longer than specified deadline')] }));
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'finished', outcome: 'failed', reason: 'DeadlineExceeded' }));
    const resumed = fake.requestsTo('GET', JOBS, (request) => request.query['watch'] === 'true').slice(watchesBefore);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(Number(resumed[0]?.query['resourceVersion'])).toBeGreaterThanOrEqual(Number(rvBefore));
    // No relist was needed.
    expect(fake.requestsTo('GET', JOBS, (request) => request.query['watch'] === undefined)).toHaveLength(1);
  });

  it('relists after 410 Gone, dropping what vanished meanwhile', async () => {
    harness = await startHarness();
    const { executor, fake, sink } = harness;
    await executor.ready();
    const job = queuedJob();
    await created(executor, fake, job);

    fake.dropWatches('jobs');
    // While disconnected the Job is deleted and etcd compacts: resuming from the old version gets 410.
    const stored = storedJob(fake, job);
    fake.emit('jobs', 'DELETED', stored);
    fake.compact('jobs');
    const changesBefore = sink.changes.length;
    await eventually(() => expect(fake.requestsTo('GET', JOBS, (request) => request.query['watch'] === undefined)).toHaveLength(2));
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toEqual({ phase: 'absent' }));
    expect(sink.changes.slice(changesBefore)).toContain(jobKey(job.tenant, job.id));
  });

  it('restarts a watch that delivers nothing for watchdogMs, and re-announces every cached object each resyncMs', async () => {
    harness = await startHarness({ watchdogMs: 300, resyncMs: 200 }, (fake) => fake.planWatches('jobs', 'silent'));
    const { executor, fake, sink } = harness;
    await executor.ready();
    const job = queuedJob();
    await executor.start(launchOf(job));
    // The silent watch never says ADDED; after the watchdog restarts it, the new one does.
    expect(executor.observe(job.tenant, job.id)).toEqual({ phase: 'absent' });
    await eventually(() => expect(executor.observe(job.tenant, job.id).phase).toBe('pending'), 3000);
    expect(fake.requestsTo('GET', JOBS, (request) => request.query['watch'] === 'true').length).toBeGreaterThanOrEqual(2);

    const key = jobKey(job.tenant, job.id);
    const count = (): number => sink.changes.filter((change) => change === key).length;
    const now = count();
    await eventually(() => expect(count()).toBeGreaterThanOrEqual(now + 2), 3000);
  });
});
