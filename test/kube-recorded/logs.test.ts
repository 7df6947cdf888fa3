import { jobKey, type Job } from '@ferry/contracts';
import { KubernetesExecutor, jobName } from '@ferry/executor-kubernetes';
import { FAKE_NAMESPACE, type FakeApiServer } from './support/fake-apiserver.ts';
import { executorOptions, startHarness, type Harness } from './support/harness.ts';
import { RecordingSink, condition, eventually, launchOf, podObject, queuedJob, withStatus } from './support/kube-objects.ts';

const podPath = (pod: string): string => `/api/v1/namespaces/${FAKE_NAMESPACE}/pods/${pod}/log`;
const stamp = (second: number, fraction = ''): string => `2030-01-01T00:00:${String(second).padStart(2, '0')}${fraction === '' ? '' : `.${fraction}`}Z`;

async function runningJob(executor: KubernetesExecutor, fake: FakeApiServer, job: Job): Promise<string> {
  await executor.start(launchOf(job));
  await eventually(() => expect(executor.observe(job.tenant, job.id).phase).toBe('pending'));
  const pod = podObject(job, { index: 0, phase: 'Running' });
  fake.emit('pods', 'ADDED', pod);
  return pod.metadata.name;
}

function finishPod(fake: FakeApiServer, job: Job, index: number, phase: 'Succeeded' | 'Failed', exitCode?: number): void {
  fake.emit('pods', 'MODIFIED', podObject(job, { index, phase, ...(exitCode === undefined ? {} : { exitCode }) }));
  fake.logs.end(`${jobName(job.id)}-${index}`);
}

function jobStatus(fake: FakeApiServer, job: Job, status: Record<string, unknown>): void {
  const stored = fake.get('jobs', jobName(job.id));
  if (stored === undefined) throw new Error('no Job');
  fake.emit('jobs', 'MODIFIED', withStatus(stored, status));
}

describe('KubernetesExecutor: pod logs', () => {
  let harness: Harness;
  beforeEach(async () => {
    harness = await startHarness();
    await harness.executor.ready();
  });
  afterEach(() => harness.close());

  it('delivers log lines in order with their attempt, time and line number, and progress markers as progress', async () => {
    const { executor, fake, sink } = harness;
    const job = queuedJob();
    const key = jobKey(job.tenant, job.id);
    const pod = await runningJob(executor, fake, job);
    fake.logs.append(
      pod,
      { at: stamp(3, '000000001'), text: 'reading sources' },
      { at: stamp(3, '5'), text: '::ferry:progress {"percent":40,"rows":12000}' },
      { at: stamp(4, '25'), text: 'wrote 12000 rows' },
    );
    await eventually(() => expect(sink.linesOf(key)).toEqual(['reading sources', 'wrote 12000 rows']));
    expect(sink.logs.map((log) => [log.entry.attempt, log.entry.stream, log.entry.at, log.sequence])).toEqual([
      [1, 'stdout', '2030-01-01T00:00:03.000Z', 1],
      [1, 'stdout', '2030-01-01T00:00:04.250Z', 3],
    ]);
    expect(sink.progresses).toEqual([{ key, attempt: 1, progress: { percent: 40, rows: 12000 } }]);
    const [request] = fake.requestsTo('GET', podPath(pod));
    expect(request?.query).toEqual({ container: 'job', follow: 'true', timestamps: 'true' });
  });

  it('resumes a dropped log from sinceTime without repeating or losing a line, even lines sharing a timestamp', async () => {
    const { executor, fake, sink } = harness;
    const job = queuedJob();
    const key = jobKey(job.tenant, job.id);
    const pod = await runningJob(executor, fake, job);
    fake.logs.append(pod, { at: stamp(5, '1'), text: 'one' }, { at: stamp(7, '2'), text: 'two' }, { at: stamp(7, '2'), text: 'two again, same stamp' });
    await eventually(() => expect(sink.linesOf(key)).toHaveLength(3));

    // The connection breaks after half a line; lines written meanwhile, some in the same second.
    fake.logs.drop(pod, `${stamp(7, '9')} par`);
    await eventually(() => expect(fake.logs.openStreams(pod)).toBe(0));
    fake.logs.append(pod, { at: stamp(7, '9'), text: 'partial line, whole now' }, { at: stamp(8), text: 'three' });
    await eventually(() => expect(sink.linesOf(key)).toHaveLength(5));

    const requests = fake.requestsTo('GET', podPath(pod));
    expect(requests.length).toBeGreaterThanOrEqual(2);
    // Whole seconds, inclusive: the second of the last line delivered; the fake replays all of second 7.
    expect(requests[1]?.query).toEqual({ container: 'job', follow: 'true', timestamps: 'true', sinceTime: stamp(7) });
    // Another break, at a line boundary this time.
    fake.logs.drop(pod);
    await eventually(() => expect(fake.logs.openStreams(pod)).toBe(1));
    fake.logs.append(pod, { at: stamp(8), text: 'four, stamped like three' });
    finishPod(fake, job, 0, 'Succeeded');
    await eventually(() => expect(sink.linesOf(key)).toHaveLength(6));
    expect(sink.linesOf(key)).toEqual(['one', 'two', 'two again, same stamp', 'partial line, whole now', 'three', 'four, stamped like three']);
    expect(sink.logs.map((log) => log.sequence)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads a line again when the sink refused it (NATS down) rather than dropping it', async () => {
    const { executor, fake, sink } = harness;
    const job = queuedJob();
    const key = jobKey(job.tenant, job.id);
    const pod = await runningJob(executor, fake, job);
    sink.failLogs(2);
    fake.logs.append(pod, { at: stamp(3, '1'), text: 'first' }, { at: stamp(3, '2'), text: 'second' });
    await eventually(() => expect(sink.linesOf(key)).toEqual(['first', 'second']));
  });

  it('uses the last ::ferry:error as the reason when the Job fails by its podFailurePolicy', async () => {
    const { executor, fake, sink } = harness;
    const job = queuedJob({ pipeline: 'fail', params: { exitCode: 2 }, maxAttempts: 2 });
    const pod = await runningJob(executor, fake, job);
    fake.logs.append(pod, { at: stamp(3, '1'), text: 'fetching https://example.org/data.csv' }, { at: stamp(3, '2'), text: '::ferry:error {"reason":"SourceRefused","message":"10.0.0.8 is a private address"}' });
    await eventually(() => expect(sink.linesOf(jobKey(job.tenant, job.id))).toHaveLength(1));
    finishPod(fake, job, 0, 'Failed', 2);
    jobStatus(fake, job, { failed: 1, conditions: [condition('Failed', 'PodFailurePolicy', 'Container job for pod jobs/x failed with exit code 2 matching FailJob rule at index 0')] });
    await eventually(() =>
      expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'finished', outcome: 'failed', attempt: 1, reason: 'SourceRefused', message: '10.0.0.8 is a private address' }),
    );
  });

  it('reports a finished Job as running until its last lines are read, then wakes the controller', async () => {
    const { executor, fake, sink } = harness;
    const job = queuedJob();
    const key = jobKey(job.tenant, job.id);
    const pod = await runningJob(executor, fake, job);
    fake.logs.append(pod, { at: stamp(3, '1'), text: 'almost done' });
    await eventually(() => expect(sink.linesOf(key)).toHaveLength(1));
    // The Job controller is faster than the log: Complete arrives while the stream still runs.
    fake.emit('pods', 'MODIFIED', podObject(job, { index: 0, phase: 'Succeeded' }));
    jobStatus(fake, job, { succeeded: 1, completionTime: stamp(40), conditions: [condition('Complete')] });
    await eventually(() => expect(fake.get('jobs', jobName(job.id))?.['status']).toMatchObject({ succeeded: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'running', attempt: 1 });

    const changes = sink.changes.length;
    fake.logs.append(pod, { at: stamp(3, '9'), text: 'the last line' });
    fake.logs.end(pod);
    await eventually(() => expect(executor.observe(job.tenant, job.id)).toMatchObject({ phase: 'finished', outcome: 'succeeded' }));
    expect(sink.linesOf(key)).toEqual(['almost done', 'the last line']);
    expect(sink.changes.slice(changes)).toContain(key);
  });

  it('numbers attempts by pod creation, follows each pod once, retries a container not yet started, and stops after release', async () => {
    const { executor, fake, sink } = harness;
    const job = queuedJob();
    const key = jobKey(job.tenant, job.id);
    const first = await runningJob(executor, fake, job);
    fake.logs.append(first, { at: stamp(3), text: 'attempt one' });
    finishPod(fake, job, 0, 'Failed', 75);
    await eventually(() => expect(sink.linesOf(key)).toEqual(['attempt one']));

    // The replacement pod runs before its container can serve logs (400 until it starts).
    const second = `${jobName(job.id)}-1`;
    fake.logs.markNotReady(second);
    fake.emit('pods', 'ADDED', podObject(job, { index: 1, phase: 'Running' }));
    await eventually(() => expect(fake.requestsTo('GET', podPath(second)).length).toBeGreaterThanOrEqual(2));
    fake.logs.append(second, { at: stamp(23), text: 'attempt two' });
    await eventually(() => expect(sink.linesOf(key)).toEqual(['attempt one', 'attempt two']));
    expect(sink.logs.map((log) => log.entry.attempt)).toEqual([1, 2]);
    expect(sink.logs.map((log) => log.sequence)).toEqual([1, 1]);

    // More events about the first pod (and a resync) never open its log again.
    fake.emit('pods', 'MODIFIED', podObject(job, { index: 0, phase: 'Failed', exitCode: 75 }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.requestsTo('GET', podPath(first))).toHaveLength(1);

    // Final in Ferry's record: the follower stops and no pod of the job is followed again.
    executor.release(job.tenant, job.id);
    await eventually(() => expect(fake.logs.openStreams(second)).toBe(0));
    const third = podObject(job, { index: 2, phase: 'Running' });
    fake.emit('pods', 'ADDED', third);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fake.requestsTo('GET', podPath(third.metadata.name))).toHaveLength(0);
  });

  it('after a controller restart, reads a job not yet final from its first line with the same line numbers, and leaves recorded jobs alone', async () => {
    const { executor, fake, sink } = harness;
    const open = queuedJob();
    const openPod = await runningJob(executor, fake, open);
    fake.logs.append(openPod, { at: stamp(3, '1'), text: 'a' }, { at: stamp(3, '2'), text: 'b' });
    const recorded = queuedJob();
    const recordedPod = await runningJob(executor, fake, recorded);
    fake.logs.append(recordedPod, { at: stamp(3, '3'), text: 'x' });
    await eventually(() => expect(sink.logs).toHaveLength(3));
    finishPod(fake, recorded, 0, 'Succeeded');
    jobStatus(fake, recorded, { succeeded: 1, completionTime: stamp(30), conditions: [condition('Complete')] });
    await eventually(() => expect(executor.observe(recorded.tenant, recorded.id)).toMatchObject({ phase: 'finished' }));
    executor.release(recorded.tenant, recorded.id);
    await eventually(() => expect(fake.get('jobs', jobName(recorded.id))?.metadata).toMatchObject({ annotations: { 'ferry.dev/final-recorded': 'true' } }));
    await executor.close();
    const readsBefore = fake.requestsTo('GET', podPath(recordedPod)).length;

    const again = new RecordingSink();
    const restarted = new KubernetesExecutor(executorOptions(fake), again);
    try {
      await restarted.ready();
      // The same (attempt, line number) pairs: the log stream's message ids dedupe what was already stored.
      await eventually(() => expect(again.logs.map((log) => [log.entry.line, log.entry.attempt, log.sequence])).toEqual([['a', 1, 1], ['b', 1, 2]]));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(fake.requestsTo('GET', podPath(recordedPod))).toHaveLength(readsBefore);
      expect(again.linesOf(jobKey(recorded.tenant, recorded.id))).toEqual([]);
    } finally {
      await restarted.close();
    }
  });
});
