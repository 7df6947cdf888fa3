import { createQueuedJob, jobKey, transitionJob, type Job, type JobEvent, type JobExecutor } from '@ferry/contracts';
import type { AttemptLaunch, AttemptObservation, Executor } from '@ferry/executor';
import { MemoryJobStore } from '@ferry/nats/testing';
import { SPEC_CATALOG as catalog } from '@ferry/pipelines/testing';
import { JobIndex } from '../scheduling/job.index.js';
import { UsageCounter, storedBytes } from '../usage/usage.counter.js';
import { JobReconciler } from './job.reconciler.js';
import { ProgressBuffer } from './progress.buffer.js';

const T0 = new Date('2030-01-01T00:00:00Z');
/** An executor that reports what a spec tells it to and records what it is asked. */
class FakeExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly name = 'fake';
  readonly retriesAttempts = false;
  readonly started: AttemptLaunch[] = [];
  readonly released: string[] = [];
  readonly stopped: string[] = [];
  observation: AttemptObservation = { phase: 'absent' };

  describe(): JobExecutor {
    return { kind: 'local', name: this.name };
  }
  start(launch: AttemptLaunch): Promise<void> {
    this.started.push(launch);
    return Promise.resolve();
  }
  observe(): AttemptObservation {
    return this.observation;
  }
  stop(tenant: string, jobId: string): Promise<void> {
    this.stopped.push(jobKey(tenant, jobId));
    return Promise.resolve();
  }
  release(tenant: string, jobId: string): void {
    this.released.push(jobKey(tenant, jobId));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface World {
  readonly reconciler: JobReconciler;
  readonly jobs: MemoryJobStore;
  readonly executor: FakeExecutor;
  readonly progress: ProgressBuffer;
  readonly usage: UsageCounter;
  readonly events: Array<{ type: JobEvent['type']; state: string; revision: number; percent: number | undefined }>;
  readonly requeued: string[];
}

/** A counter whose first listing was empty: it counts from the first record it is told of. */
function listedCounter(): UsageCounter {
  const usage = new UsageCounter();
  usage.listed([]);
  return usage;
}

function world(now = T0, retentionMs = 60_000, usage = listedCounter()): World {
  const jobs = new MemoryJobStore();
  const executor = new FakeExecutor();
  const events: World['events'] = [];
  const requeued: string[] = [];
  const progress = new ProgressBuffer({ addAfter: () => undefined }, 1000);
  const reconciler = new JobReconciler(
    {
      jobs,
      events: {
        publish: (type, job, revision) => {
          events.push({ type, state: job.state, revision, percent: job.progress?.percent });
          return Promise.resolve(events.length);
        },
      },
      executor,
      catalog,
      index: new JobIndex({ global: 10, perTenant: undefined }),
      queue: { add: (key) => requeued.push(key), addAfter: (key) => requeued.push(key) },
      progress,
      usage,
      logger: { info: () => undefined, warn: () => undefined },
      clock: () => now,
    },
    { retryBaseMs: 1000, retryMaxMs: 10_000, retentionMs },
  );
  return { reconciler, jobs, executor, progress, usage, events, requeued };
}

function queued(id = '01jq0000000000000000000001'): Job {
  return createQueuedJob({ id, tenant: 'acme', pipeline: 'sleep', params: { seconds: 1 }, labels: {}, maxAttempts: 2, timeoutSeconds: 600, startDeadlineSeconds: 600, now: T0 });
}

/** Running its attempt `attempt` on the fake executor. */
function running(attempt = 1): Job {
  let job = queued();
  for (let next = 1; next <= attempt; next += 1) job = transitionJob(transitionJob(job, { state: 'starting', attempt: next }, T0), { state: 'running' }, T0);
  return { ...job, executor: { kind: 'local', name: 'fake' } };
}

const key = (job: Job): string => jobKey(job.tenant, job.id);

describe('JobReconciler (against fakes of its ports)', () => {
  it('announces a new submission, opens attempt 1 and hands the executor the record and its catalog entry', async () => {
    const { reconciler, jobs, executor, events } = world();
    const job = queued();
    jobs.put(job);
    await reconciler.reconcile(key(job));
    expect(events.map((event) => `${event.type} ${event.state}`)).toEqual(['state queued', 'state starting']);
    const stored = jobs.records.get(key(job));
    expect(stored?.job).toMatchObject({ state: 'starting', attempt: 1, executor: { kind: 'local', name: 'fake' } });
    expect(executor.started).toHaveLength(1);
    expect(executor.started[0]?.job).toEqual(stored?.job);
    expect(executor.started[0]?.pipeline).toBe(catalog.get('sleep'));
  });

  it('writes the last reported progress, with its event, before the final state, so the final record keeps it', async () => {
    const { reconciler, jobs, executor, progress, events } = world();
    const job = running();
    jobs.put(job);
    progress.report(job.tenant, job.id, 1, { percent: 40 });
    progress.report(job.tenant, job.id, 1, { percent: 100 });
    executor.observation = { phase: 'exited', attempt: 1, exitCode: 0, signal: null, finishedAt: T0, error: undefined };
    await reconciler.reconcile(key(job));
    expect(events.map((event) => `${event.type} ${event.state} ${event.percent}`)).toEqual(['progress running 100', 'state succeeded 100']);
    expect(jobs.records.get(key(job))?.job).toMatchObject({ state: 'succeeded', progress: { percent: 100 } });
    expect(progress.take(key(job))).toBeUndefined();
  });

  it("drops progress of an attempt that is not the record's", async () => {
    const { reconciler, jobs, executor, progress, events } = world();
    const job = running(2);
    const before = jobs.put(job);
    progress.report(job.tenant, job.id, 1, { percent: 90 });
    executor.observation = { phase: 'running', attempt: 2, startedAt: T0, stopping: false };
    await reconciler.reconcile(key(job));
    expect(events).toEqual([]);
    expect(jobs.records.get(key(job))).toEqual(before);
  });

  it('a progress write that loses the race publishes nothing, keeps the progress and runs the key again', async () => {
    const { reconciler, jobs, progress, events, requeued } = world();
    const job = running();
    jobs.put(job);
    progress.report(job.tenant, job.id, 1, { percent: 10 });
    // Another writer (the gateway's cancel request) moves the record between the read and the write.
    const get = jobs.get.bind(jobs);
    jobs.get = async (tenant, jobId) => {
      const read = await get(tenant, jobId);
      jobs.put({ ...job, cancelRequested: true });
      return read;
    };
    await reconciler.reconcile(key(job));
    expect(events).toEqual([]);
    expect(requeued).toEqual([key(job)]);
    expect(progress.take(key(job))).toEqual({ attempt: 1, progress: { percent: 10 } });
  });

  it('fails a queued job whose pipeline left the catalog, and starts nothing', async () => {
    const { reconciler, jobs, executor } = world();
    const job = { ...queued(), pipeline: 'gone' };
    jobs.put(job);
    await reconciler.reconcile(key(job));
    expect(jobs.records.get(key(job))?.job).toMatchObject({ state: 'failed', reason: 'InvalidSubmission' });
    expect(executor.started).toEqual([]);
  });

  it('stops what of a final job still runs here before letting go of it', async () => {
    const { reconciler, jobs, executor, requeued } = world();
    const job = transitionJob(running(), { state: 'cancelled' }, T0);
    jobs.put(job);
    executor.observation = { phase: 'running', attempt: 1, startedAt: T0, stopping: true };
    await reconciler.reconcile(key(job));
    expect(executor.stopped).toEqual([key(job)]);
    expect(executor.released).toEqual([]);
    expect(requeued).toEqual([key(job)]);
  });

  it('purges a final record once past retention and releases it; a vanished record is released', async () => {
    const job = transitionJob(running(), { state: 'succeeded' }, T0);
    const young = world(new Date(T0.getTime() + 59_000));
    young.jobs.put(job);
    await young.reconciler.reconcile(key(job));
    expect(young.jobs.purged).toEqual([]);
    expect(young.executor.released).toEqual([key(job)]);

    const old = world(new Date(T0.getTime() + 60_000));
    old.jobs.put(job);
    await old.reconciler.reconcile(key(job));
    expect(old.jobs.purged).toEqual([key(job)]);
    await old.reconciler.reconcile(key(job));
    expect(old.executor.released).toEqual([key(job), key(job)]);
  });

  it("counts each record it reads into its tenant's usage, and counts a purged one out", async () => {
    const job = { ...transitionJob(running(), { state: 'succeeded' }, T0), result: { contentType: 'text/csv', bytes: 5_000, rows: 9, sha256: 'a'.repeat(64) } };
    const young = world(new Date(T0.getTime() + 1_000));
    young.jobs.put(job);
    young.jobs.put({ ...queued('01jq0000000000000000000002'), tenant: 'globex' });
    await young.reconciler.reconcile(key(job));
    await young.reconciler.reconcile(jobKey('globex', '01jq0000000000000000000002'));
    const counted = Object.fromEntries(young.usage.takeChanged(T0));
    expect(counted['acme']).toEqual({ jobs: 1, bytes: storedBytes(job), countedAt: T0.toISOString() });
    expect(counted['acme']?.bytes).toBeGreaterThan(5_000);
    expect(counted['globex']?.jobs).toBe(1);

    // Past retention: the first reconcile counts and purges it, the next reads it gone.
    const { reconciler, jobs, usage } = world(new Date(T0.getTime() + 60_000));
    jobs.put(job);
    await reconciler.reconcile(key(job));
    expect(jobs.purged).toEqual([key(job)]);
    await reconciler.reconcile(key(job));
    expect(usage.takeChanged(T0)).toEqual([['acme', { jobs: 0, bytes: 0, countedAt: T0.toISOString() }]]);
  });

  it('counts a key whose record cannot be read as nothing, so it never holds the count back', async () => {
    const counter = new UsageCounter();
    counter.listed(['not-a-key']);
    expect(counter.complete).toBe(false);
    const { reconciler } = world(T0, 60_000, counter);
    await expect(reconciler.reconcile('not-a-key')).rejects.toMatchObject({ code: 'malformed_message' });
    expect(counter.complete).toBe(true);
  });
});
