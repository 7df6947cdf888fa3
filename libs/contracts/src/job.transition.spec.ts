import { ErrorCode, FerryError } from './errors.js';
import { createQueuedJob } from './job.factory.js';
import type { Job } from './job.schema.js';
import type { JobState } from './job-state.js';
import { transitionJob } from './job.transition.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const T1 = new Date('2030-01-01T00:00:01.000Z');
const T2 = new Date('2030-01-01T00:00:02.000Z');
const T3 = new Date('2030-01-01T00:00:03.000Z');
const T4 = new Date('2030-01-01T00:00:04.000Z');

function queuedJob(overrides: Partial<Job> = {}): Job {
  return {
    ...createQueuedJob({
      id: '01jq0000000000000000000000',
      tenant: 'acme',
      pipeline: 'sleep',
      params: { seconds: 1 },
      labels: { team: 'data' },
      maxAttempts: 3,
      timeoutSeconds: 60,
      startDeadlineSeconds: 30,
      now: T0,
    }),
    ...overrides,
  };
}

/** A job moved through `starting` (attempt 1) and `running`, at T1 and T2. */
function runningJob(): Job {
  const starting = transitionJob(queuedJob(), { state: 'starting', attempt: 1 }, T1);
  return transitionJob(starting, { state: 'running' }, T2);
}

describe('transitionJob', () => {
  it('stamps startedAt on the first start and clears queuePosition', () => {
    const job = transitionJob(queuedJob({ queuePosition: 4 }), { state: 'starting', attempt: 1 }, T1);
    expect(job).toMatchObject({
      state: 'starting',
      attempt: 1,
      queuePosition: null,
      createdAt: T0.toISOString(),
      startedAt: T1.toISOString(),
      finishedAt: null,
      updatedAt: T1.toISOString(),
    });
  });

  it('keeps startedAt of the first attempt on later attempts', () => {
    const retried = transitionJob(runningJob(), { state: 'starting', attempt: 2, reason: 'Retrying' }, T3);
    expect(retried).toMatchObject({
      state: 'starting',
      attempt: 2,
      reason: 'Retrying',
      startedAt: T1.toISOString(),
      finishedAt: null,
      updatedAt: T3.toISOString(),
    });
    const rerunning = transitionJob(retried, { state: 'running' }, T4);
    expect(rerunning).toMatchObject({ state: 'running', attempt: 2, startedAt: T1.toISOString(), updatedAt: T4.toISOString() });
  });

  it('leaves startedAt null for moves that are not a start', () => {
    const cancelled = transitionJob(queuedJob(), { state: 'cancelled' }, T1);
    expect(cancelled.startedAt).toBeNull();
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('stamps finishedAt when a running job becomes %s', (state) => {
    const job = transitionJob(runningJob(), { state }, T3);
    expect(job).toMatchObject({
      state,
      attempt: 1,
      startedAt: T1.toISOString(),
      finishedAt: T3.toISOString(),
      updatedAt: T3.toISOString(),
    });
  });

  it.each(['failed', 'cancelled'] as const)('stamps finishedAt when a queued job becomes %s', (state) => {
    const job = transitionJob(queuedJob({ queuePosition: 2 }), { state }, T1);
    expect(job).toMatchObject({ state, attempt: 0, queuePosition: null, startedAt: null, finishedAt: T1.toISOString(), updatedAt: T1.toISOString() });
  });

  it('keeps finishedAt null on non-final moves', () => {
    expect(runningJob().finishedAt).toBeNull();
  });

  it('sets reason and message when given, keeps them when omitted, clears them with null', () => {
    const failed = transitionJob(runningJob(), { state: 'failed', reason: 'ExitCode', message: 'exit 2' }, T3);
    expect(failed).toMatchObject({ reason: 'ExitCode', message: 'exit 2' });

    const starting = transitionJob(queuedJob({ reason: 'QueuedBehindLimit', message: 'wait' }), { state: 'starting', attempt: 1 }, T1);
    expect(starting).toMatchObject({ reason: 'QueuedBehindLimit', message: 'wait' });
    const running = transitionJob(starting, { state: 'running', reason: null, message: null }, T2);
    expect(running).toMatchObject({ reason: null, message: null });
  });

  it('keeps the other fields and does not mutate its input', () => {
    const before = queuedJob();
    const snapshot = structuredClone(before);
    const after = transitionJob(before, { state: 'starting', attempt: 1 }, T1);
    expect(before).toEqual(snapshot);
    expect(after).toMatchObject({
      id: before.id,
      tenant: 'acme',
      pipeline: 'sleep',
      params: { seconds: 1 },
      labels: { team: 'data' },
      maxAttempts: 3,
      timeoutSeconds: 60,
      startDeadlineSeconds: 30,
      cancelRequested: false,
    });
  });

  const runningAt1 = runningJob();
  const succeeded = transitionJob(runningAt1, { state: 'succeeded' }, T3);

  it.each<{ name: string; job: Job; state: JobState; attempt?: number }>([
    { name: 'succeeded → running', job: succeeded, state: 'running' },
    { name: 'succeeded → starting', job: succeeded, state: 'starting', attempt: 2 },
    { name: 'running → queued', job: runningAt1, state: 'queued' },
    { name: 'queued → running', job: queuedJob(), state: 'running' },
    { name: 'queued → succeeded', job: queuedJob(), state: 'succeeded' },
    { name: 'queued → starting without the next attempt', job: queuedJob(), state: 'starting' },
    { name: 'running → starting with the same attempt', job: runningAt1, state: 'starting', attempt: 1 },
    { name: 'running → failed with another attempt', job: runningAt1, state: 'failed', attempt: 2 },
  ])('throws conflict for $name', ({ job, state, attempt }) => {
    const change = attempt === undefined ? { state } : { state, attempt };
    let thrown: unknown;
    try {
      transitionJob(job, change, T4);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FerryError);
    expect((thrown as FerryError).code).toBe(ErrorCode.Conflict);
    expect((thrown as FerryError).message).toContain(`cannot move from ${job.state} (attempt ${job.attempt}) to ${state}`);
  });
});
