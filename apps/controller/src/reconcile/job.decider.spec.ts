import {
  canTransition,
  createQueuedJob,
  isFinalState,
  JOB_STATES,
  JobReason,
  transitionJob,
  type Job,
  type JobErrorReport,
  type JobExecutor,
  type JobState,
  type StateChange,
} from '@ferry/contracts';
import type { AttemptObservation } from '@ferry/executor';
import type { Decision, DecisionInput } from './decision.js';
import { decide } from './job.decider.js';

// Times are seconds after T0, the moment the job was submitted.
const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (seconds: number): Date => new Date(T0 + seconds * 1000);

const ME: JobExecutor = { kind: 'local', name: 'controller-a' };
const OTHER: JobExecutor = { kind: 'local', name: 'controller-dead' };

const BASE_MS = 10_000;
const MAX_MS = 360_000;
const RETENTION_MS = 3_600_000;

interface JobShape {
  readonly maxAttempts?: number;
  readonly timeoutSeconds?: number;
  readonly startDeadlineSeconds?: number;
}

function queued(shape: JobShape = {}): Job {
  return createQueuedJob({
    id: '01jq0000000000000000000001',
    tenant: 'acme',
    pipeline: 'sleep',
    params: { seconds: 5 },
    labels: {},
    maxAttempts: shape.maxAttempts ?? 3,
    timeoutSeconds: shape.timeoutSeconds ?? 600,
    startDeadlineSeconds: shape.startDeadlineSeconds ?? 60,
    now: at(0),
  });
}

/** Applies a change the way the reconciler does: through the table, then the new owner. */
function move(job: Job, change: StateChange, seconds: number, executor?: JobExecutor): Job {
  const moved = transitionJob(job, change, at(seconds));
  return executor === undefined ? moved : { ...moved, executor };
}

interface ActiveShape extends JobShape {
  /** The attempt the record is at (1 = first). */
  readonly attempt?: number;
  readonly owner?: JobExecutor | null;
  /** When attempt 1 started (the job's `startedAt`). */
  readonly firstStart?: number;
  /** When the current attempt started (starting); later attempts default to one second apart. */
  readonly attemptStart?: number;
}

/** A job in `starting` at `attempt`, each attempt started through the transition table. */
function starting(shape: ActiveShape = {}): Job {
  const attempt = shape.attempt ?? 1;
  const owner = shape.owner === undefined ? ME : shape.owner;
  const firstStart = shape.firstStart ?? 1;
  let job = move(queued(shape), { state: 'starting', attempt: 1, reason: null, message: null }, firstStart);
  for (let next = 2; next <= attempt; next += 1) {
    const when = next === attempt && shape.attemptStart !== undefined ? shape.attemptStart : firstStart + next - 1;
    job = move(job, { state: 'starting', attempt: next, reason: null, message: null }, when);
  }
  return { ...job, executor: owner };
}

/** A job in `running` at `attempt` (moved to running one second after the attempt started). */
function running(shape: ActiveShape = {}): Job {
  const job = starting(shape);
  return move(job, { state: 'running' }, Date.parse(job.updatedAt) / 1000 - T0 / 1000 + 1);
}

const absent: AttemptObservation = { phase: 'absent' };

function runningObs(attempt: number, startedSeconds = 1, stopping = false): AttemptObservation {
  return { phase: 'running', attempt, startedAt: at(startedSeconds), stopping };
}

function exitedObs(
  attempt: number,
  exitCode: number | null,
  finishedSeconds: number,
  options: { signal?: string | null; error?: JobErrorReport } = {},
): AttemptObservation {
  return {
    phase: 'exited',
    attempt,
    exitCode,
    signal: options.signal ?? null,
    finishedAt: at(finishedSeconds),
    error: options.error,
  };
}

function input(job: Job, observation: AttemptObservation, nowSeconds: number, extra: Partial<DecisionInput> = {}): DecisionInput {
  return {
    job,
    observation,
    now: at(nowSeconds),
    executor: ME,
    admitted: false,
    queuePosition: null,
    retryBaseMs: BASE_MS,
    retryMaxMs: MAX_MS,
    retriesAttempts: false,
    pipelineKnown: true,
    retentionMs: RETENTION_MS,
    ...extra,
  };
}

/** The move a `transition` decision asks for must be one the table allows (and must apply). */
function expectAllowed(job: Job, decision: Decision): void {
  if (decision.kind !== 'transition') return;
  const to = { state: decision.change.state, attempt: decision.change.attempt ?? job.attempt };
  expect(canTransition({ state: job.state, attempt: job.attempt }, to)).toBe(true);
}

const startNext = (attempt: number): Decision => ({
  kind: 'transition',
  change: { state: 'starting', attempt, reason: null, message: null },
  executor: ME,
  then: 'start',
});

describe('decide: final jobs', () => {
  it.each([
    ['succeeded', absent],
    ['cancelled', exitedObs(1, 143, 30, { signal: null })],
  ] as const)('%s, nothing of it running → finished, then purge once past retention', (state, observation) => {
    const job = move(running(), { state }, 20);
    expect(decide(input(job, observation, 25))).toEqual({ kind: 'finished' });
    expect(decide(input({ ...job, cancelRequested: true }, observation, 20 + RETENTION_MS / 1000 - 1))).toEqual({ kind: 'finished' });
    expect(decide(input(job, observation, 20 + RETENTION_MS / 1000))).toEqual({ kind: 'purge' });
  });

  it.each([
    ['running', runningObs(1)],
    ['pending', { phase: 'pending', attempt: 1, since: at(1), reason: null, message: null } as const],
  ])('failed while its attempt is still %s here → stop it first, even past retention', (_phase, observation) => {
    const job = move(running(), { state: 'failed' }, 20);
    expect(decide(input(job, observation, 25))).toEqual({ kind: 'stop', requeueAfterMs: 1000 });
    expect(decide(input(job, observation, 20 + RETENTION_MS / 1000))).toEqual({ kind: 'stop', requeueAfterMs: 1000 });
  });
});

describe('decide: queued', () => {
  it('cancelRequested → cancelled with reason Cancelled, even when admitted and past the start deadline', () => {
    const job = { ...queued(), cancelRequested: true };
    const expected: Decision = { kind: 'transition', change: { state: 'cancelled', reason: 'Cancelled', message: 'cancelled before it started' } };
    expect(decide(input(job, absent, 5))).toEqual(expected);
    expect(decide(input(job, absent, 5, { admitted: true }))).toEqual(expected);
    expect(decide(input(job, absent, 500))).toEqual(expected);
    expectAllowed(job, expected);
  });

  it('a pipeline gone from the catalog → failed/InvalidSubmission, admitted or not; a cancel request still wins', () => {
    const expected: Decision = { kind: 'transition', change: { state: 'failed', reason: 'InvalidSubmission', message: 'pipeline "sleep" is no longer in the catalog' } };
    expect(decide(input(queued(), absent, 5, { pipelineKnown: false }))).toEqual(expected);
    expect(decide(input(queued(), absent, 5, { pipelineKnown: false, admitted: true }))).toEqual(expected);
    expect(decide(input({ ...queued(), cancelRequested: true }, absent, 5, { pipelineKnown: false }))).toMatchObject({ change: { state: 'cancelled' } });
    expectAllowed(queued(), expected);
  });

  it.each([
    { name: 'exactly at the start deadline', now: 60, reason: null, cause: 'QueuedBehindLimit' },
    { name: 'long past it', now: 5_000, reason: null, cause: 'QueuedBehindLimit' },
    { name: 'with the recorded cause', now: 61, reason: 'Unschedulable', cause: 'Unschedulable' },
    { name: 'with QueuedBehindLimit recorded', now: 61, reason: 'QueuedBehindLimit', cause: 'QueuedBehindLimit' },
  ])('past startDeadlineSeconds since createdAt → failed/StartDeadlineExceeded ($name)', ({ now, reason, cause }) => {
    const job = { ...queued({ startDeadlineSeconds: 60 }), reason };
    const decision = decide(input(job, absent, now, { admitted: true }));
    expect(decision).toEqual({
      kind: 'transition',
      change: { state: 'failed', reason: 'StartDeadlineExceeded', message: `did not start within 60s (${cause})` },
    });
    expectAllowed(job, decision);
  });

  it('just before the start deadline an admitted job starts', () => {
    const job = queued({ startDeadlineSeconds: 60 });
    expect(decide(input(job, absent, 59.999, { admitted: true }))).toEqual(startNext(1));
  });

  it('the start deadline counts from createdAt, not from the last update', () => {
    const job = { ...queued({ startDeadlineSeconds: 60 }), updatedAt: at(50).toISOString() };
    expect(decide(input(job, absent, 60))).toMatchObject({ kind: 'transition', change: { state: 'failed', reason: 'StartDeadlineExceeded' } });
  });

  it('admitted → starting attempt 1 with this executor, then start', () => {
    const job = queued();
    const decision = decide(input(job, absent, 3, { admitted: true, queuePosition: null }));
    expect(decision).toEqual(startNext(1));
    expectAllowed(job, decision);
  });

  it('admission wins over a stale QueuedBehindLimit annotation and clears it', () => {
    const job: Job = { ...queued(), reason: 'QueuedBehindLimit', message: 'waiting for a free slot (concurrency limit)', queuePosition: 0 };
    const decision = decide(input(job, absent, 3, { admitted: true }));
    expect(decision).toEqual(startNext(1));
    if (decision.kind !== 'transition') throw new Error('expected a transition');
    const started = transitionJob(job, decision.change, at(3));
    expect(started).toMatchObject({ state: 'starting', attempt: 1, reason: null, message: null, queuePosition: null, startedAt: at(3).toISOString() });
  });

  const WAITING = 'waiting for a free slot (concurrency limit)';

  it.each([
    { name: 'a fresh record', record: { reason: null, message: null, queuePosition: null }, position: 3, now: 10, expected: 'annotate' },
    { name: 'another position', record: { reason: 'QueuedBehindLimit', message: WAITING, queuePosition: 4 }, position: 3, now: 10, expected: 'annotate' },
    { name: 'another reason', record: { reason: 'Unschedulable', message: WAITING, queuePosition: 3 }, position: 3, now: 10, expected: 'annotate' },
    { name: 'another message', record: { reason: 'QueuedBehindLimit', message: 'old text', queuePosition: 3 }, position: 3, now: 10, expected: 'annotate' },
    { name: 'exactly the same', record: { reason: 'QueuedBehindLimit', message: WAITING, queuePosition: 3 }, position: 3, now: 10, expected: 'none' },
    { name: 'the same, position 0', record: { reason: 'QueuedBehindLimit', message: WAITING, queuePosition: 0 }, position: 0, now: 59, expected: 'none' },
    { name: 'the same, no position', record: { reason: 'QueuedBehindLimit', message: WAITING, queuePosition: null }, position: null, now: 1, expected: 'none' },
  ] as const)('not admitted, record has $name → $expected, requeued at the start deadline', ({ record, position, now, expected }) => {
    const job: Job = { ...queued({ startDeadlineSeconds: 60 }), ...record };
    const decision = decide(input(job, absent, now, { admitted: false, queuePosition: position }));
    const requeueAfterMs = (60 - now) * 1000;
    if (expected === 'none') {
      expect(decision).toEqual({ kind: 'none', requeueAfterMs });
    } else {
      expect(decision).toEqual({
        kind: 'annotate',
        fields: { reason: 'QueuedBehindLimit', message: WAITING, queuePosition: position },
        requeueAfterMs,
      });
    }
  });
});

describe('decide: an owned attempt that runs', () => {
  // Attempt 1 started at 1 s, so a 600 s timeout ends at 601 s.
  it('starting + running observation → running, requeued at the deadline', () => {
    const job = starting({ timeoutSeconds: 600 });
    const decision = decide(input(job, runningObs(1), 5));
    expect(decision).toEqual({ kind: 'transition', change: { state: 'running' }, requeueAfterMs: 596_000 });
    expectAllowed(job, decision);
  });

  it('running + running observation → none, requeued at the deadline', () => {
    expect(decide(input(running({ timeoutSeconds: 600 }), runningObs(1), 5))).toEqual({ kind: 'none', requeueAfterMs: 596_000 });
    expect(decide(input(running({ timeoutSeconds: 600 }), runningObs(1), 600.999))).toEqual({ kind: 'none', requeueAfterMs: 1 });
  });

  it.each([
    { name: 'cancelRequested (running)', job: () => ({ ...running(), cancelRequested: true }), now: 5 },
    { name: 'cancelRequested (starting)', job: () => ({ ...starting(), cancelRequested: true }), now: 5 },
    { name: 'at the deadline', job: () => running({ timeoutSeconds: 600 }), now: 601 },
    { name: 'past the deadline (starting)', job: () => starting({ timeoutSeconds: 600 }), now: 700 },
  ])('$name → stop, check again in 1 s', ({ job, now }) => {
    expect(decide(input(job(), runningObs(1), now))).toEqual({ kind: 'stop', requeueAfterMs: 1000 });
    // Asking again while it is stopping repeats the (idempotent) stop.
    expect(decide(input(job(), runningObs(1, 1, true), now))).toEqual({ kind: 'stop', requeueAfterMs: 1000 });
  });

  it('the deadline counts from the first start, retries included', () => {
    // First start at 1 s; attempt 3 started at 500 s; 600 s timeout → deadline at 601 s.
    const job = running({ attempt: 3, firstStart: 1, attemptStart: 500, timeoutSeconds: 600 });
    expect(job.startedAt).toBe(at(1).toISOString());
    expect(decide(input(job, runningObs(3, 500), 600))).toEqual({ kind: 'none', requeueAfterMs: 1000 });
    expect(decide(input(job, runningObs(3, 500), 601))).toEqual({ kind: 'stop', requeueAfterMs: 1000 });
  });
});

describe('decide: an owned attempt that exited', () => {
  it('exit 0 → succeeded', () => {
    const job = running();
    const decision = decide(input(job, exitedObs(1, 0, 30), 31));
    expect(decision).toEqual({ kind: 'transition', change: { state: 'succeeded', reason: null, message: null } });
    expectAllowed(job, decision);
  });

  it.each([
    { name: 'no report', attempt: 1, error: undefined, reason: 'ExitCode', message: 'exit code 2' },
    { name: 'no report, attempts left', attempt: 2, error: undefined, reason: 'ExitCode', message: 'exit code 2' },
    {
      name: 'SourceRefused reported',
      attempt: 1,
      error: { reason: 'SourceRefused', message: 'http://10.0.0.5/a.csv resolves to a private address' },
      reason: 'SourceRefused',
      message: 'http://10.0.0.5/a.csv resolves to a private address (exit code 2)',
    },
  ])('exit 2 → failed at once, never retried ($name)', ({ attempt, error, reason, message }) => {
    const job = running({ attempt, maxAttempts: 5 });
    const decision = decide(input(job, exitedObs(attempt, 2, 30, error === undefined ? {} : { error }), 30));
    expect(decision).toEqual({ kind: 'transition', change: { state: 'failed', reason, message } });
    expectAllowed(job, decision);
  });

  // Attempt 1 finishes at 30 s; the first retry waits 10 s, so attempt 2 may start at 40 s.
  it.each([
    { what: 'exit 75', exitCode: 75, signal: null, detail: 'exit code 75' },
    { what: 'exit 1', exitCode: 1, signal: null, detail: 'exit code 1' },
    { what: 'exit 137', exitCode: 137, signal: null, detail: 'exit code 137' },
    { what: 'exit 143 (evicted, not by us)', exitCode: 143, signal: null, detail: 'exit code 143' },
    { what: 'SIGKILL', exitCode: null, signal: 'SIGKILL', detail: 'killed by SIGKILL' },
    { what: 'an unnamed signal', exitCode: null, signal: null, detail: 'killed by a signal' },
  ])('$what → retried after the backoff', ({ exitCode, signal, detail }) => {
    const job = running();
    const observation = exitedObs(1, exitCode, 30, { signal });
    expect(decide(input(job, observation, 30))).toEqual({
      kind: 'annotate',
      fields: { reason: 'Retrying', message: `attempt 1 failed: ${detail}; attempt 2 in 10s`, queuePosition: null },
      requeueAfterMs: 10_000,
    });
    expect(decide(input(job, observation, 35.5))).toEqual({
      kind: 'annotate',
      fields: { reason: 'Retrying', message: `attempt 1 failed: ${detail}; attempt 2 in 5s`, queuePosition: null },
      requeueAfterMs: 4_500,
    });
    // Already annotated: nothing to write, just wait.
    expect(decide(input({ ...job, reason: 'Retrying' }, observation, 35.5))).toEqual({ kind: 'none', requeueAfterMs: 4_500 });
    const retry = decide(input({ ...job, reason: 'Retrying' }, observation, 40));
    expect(retry).toEqual(startNext(2));
    expectAllowed(job, retry);
    expect(decide(input(job, observation, 400))).toEqual(startNext(2));
  });

  it('a transient failure reported by the runner names its cause', () => {
    const job = running();
    const error = { reason: 'SourceUnreachable', message: 'connect ECONNREFUSED 127.0.0.1:9' };
    expect(decide(input(job, exitedObs(1, 75, 30, { error }), 31))).toEqual({
      kind: 'annotate',
      fields: { reason: 'Retrying', message: 'attempt 1 failed: connect ECONNREFUSED 127.0.0.1:9 (exit code 75); attempt 2 in 9s', queuePosition: null },
      requeueAfterMs: 9_000,
    });
    const last = running({ attempt: 3, maxAttempts: 3 });
    expect(decide(input(last, exitedObs(3, 75, 30, { error }), 31))).toEqual({
      kind: 'transition',
      change: {
        state: 'failed',
        reason: 'BackoffLimitExceeded',
        message: 'attempt 3 of 3 failed: connect ECONNREFUSED 127.0.0.1:9 (exit code 75) [SourceUnreachable]',
      },
    });
  });

  // docs/architecture.md §3: 10 s, doubling, capped at 6 min.
  it.each([
    { attempt: 1, next: 2, waitSeconds: 10 },
    { attempt: 2, next: 3, waitSeconds: 20 },
    { attempt: 3, next: 4, waitSeconds: 40 },
    { attempt: 4, next: 5, waitSeconds: 80 },
    { attempt: 5, next: 6, waitSeconds: 160 },
    { attempt: 6, next: 7, waitSeconds: 320 },
    { attempt: 7, next: 8, waitSeconds: 360 },
    { attempt: 8, next: 9, waitSeconds: 360 },
    { attempt: 9, next: 10, waitSeconds: 360 },
  ])('attempt $attempt failing waits $waitSeconds s before attempt $next', ({ attempt, next, waitSeconds }) => {
    const job = running({ attempt, maxAttempts: 10, timeoutSeconds: 604_800 });
    const finished = 1_000;
    const observation = exitedObs(attempt, 75, finished);
    const early = decide(input(job, observation, finished + waitSeconds - 0.001));
    expect(early).toMatchObject({ kind: 'annotate', fields: { reason: 'Retrying' }, requeueAfterMs: 1 });
    expect(decide(input(job, observation, finished + waitSeconds))).toEqual(startNext(next));
  });

  it.each([
    { attempt: 3, maxAttempts: 3, exitCode: 75, signal: null, detail: 'exit code 75' },
    { attempt: 1, maxAttempts: 1, exitCode: 1, signal: null, detail: 'exit code 1' },
    { attempt: 10, maxAttempts: 10, exitCode: null, signal: 'SIGKILL', detail: 'killed by SIGKILL' },
  ])('the last attempt ($attempt of $maxAttempts) failing → failed/BackoffLimitExceeded at once', ({ attempt, maxAttempts, exitCode, signal, detail }) => {
    const job = running({ attempt, maxAttempts, timeoutSeconds: 604_800 });
    const decision = decide(input(job, exitedObs(attempt, exitCode, 100, { signal }), 100));
    expect(decision).toEqual({
      kind: 'transition',
      change: { state: 'failed', reason: 'BackoffLimitExceeded', message: `attempt ${attempt} of ${maxAttempts} failed: ${detail} [ExitCode]` },
    });
    expectAllowed(job, decision);
  });

  it.each([
    { name: 'exit 143 after SIGTERM', exitCode: 143, signal: null },
    { name: 'killed by SIGTERM', exitCode: null, signal: 'SIGTERM' },
    { name: 'exit 2 while stopping', exitCode: 2, signal: null },
    { name: 'exit 75 on the last attempt', exitCode: 75, signal: null },
  ])('cancelRequested, then the attempt exits ($name) → cancelled', ({ exitCode, signal }) => {
    const job = { ...running({ attempt: 3, maxAttempts: 3 }), cancelRequested: true };
    const decision = decide(input(job, exitedObs(3, exitCode, 20, { signal }), 21));
    expect(decision).toEqual({ kind: 'transition', change: { state: 'cancelled', reason: 'Cancelled', message: 'cancelled on request' } });
    expectAllowed(job, decision);
  });

  it.each([
    { name: 'exit 143 after our SIGTERM', exitCode: 143, signal: null },
    { name: 'killed by SIGKILL after the grace period', exitCode: null, signal: 'SIGKILL' },
    { name: 'exit 75 with attempts left', exitCode: 75, signal: null },
  ])('past the deadline, the attempt exits ($name) → failed/DeadlineExceeded', ({ exitCode, signal }) => {
    const job = running({ timeoutSeconds: 600 });
    const decision = decide(input(job, exitedObs(1, exitCode, 602, { signal }), 603));
    expect(decision).toEqual({ kind: 'transition', change: { state: 'failed', reason: 'DeadlineExceeded', message: 'did not finish within 600s' } });
    expectAllowed(job, decision);
  });

  it('an attempt that exits while the record still says starting is first recorded as having run', () => {
    const job = starting();
    for (const code of [0, 2, 75]) {
      const decision = decide(input(job, exitedObs(1, code, 3), 3));
      expect(decision).toEqual({ kind: 'transition', change: { state: 'running' } });
      expectAllowed(job, decision);
    }
  });
});

describe('decide: owned, starting, no process for the current attempt', () => {
  it.each([
    { name: 'absent', attempt: 1, observation: absent },
    { name: "the previous attempt's exit", attempt: 2, observation: exitedObs(1, 75, 5) },
    { name: "an older attempt's exit", attempt: 3, observation: exitedObs(1, 1, 5) },
  ])('$name → start', ({ attempt, observation }) => {
    expect(decide(input(starting({ attempt }), observation, 30))).toEqual({ kind: 'start' });
  });

  it('but cancelRequested → cancelled, and past the deadline → failed/DeadlineExceeded', () => {
    expect(decide(input({ ...starting(), cancelRequested: true }, absent, 30))).toEqual({
      kind: 'transition',
      change: { state: 'cancelled', reason: 'Cancelled', message: 'cancelled on request' },
    });
    expect(decide(input(starting({ timeoutSeconds: 600 }), absent, 601))).toEqual({
      kind: 'transition',
      change: { state: 'failed', reason: 'DeadlineExceeded', message: 'did not finish within 600s' },
    });
  });

  it('owned and running with no process for the attempt → lost: the next attempt at once', () => {
    const job = running({ attempt: 1 });
    expect(decide(input(job, absent, 30))).toEqual(startNext(2));
    expect(decide(input(running({ attempt: 2 }), exitedObs(1, 75, 5), 30))).toEqual(startNext(3));
  });
});

describe('decide: an attempt owned by another controller (lost with it)', () => {
  const lost = 'the attempt was lost with the controller that ran it';

  it.each([
    { name: 'running, dead owner', job: () => running({ owner: OTHER }) },
    { name: 'starting, dead owner', job: () => starting({ owner: OTHER }) },
    { name: 'same name, other kind', job: () => running({ owner: { kind: 'kubernetes', name: ME.name } }) },
    { name: 'no owner recorded', job: () => starting({ owner: null }) },
  ])('$name, attempts left → the next attempt at once, owned by this executor', ({ job }) => {
    const record = job();
    const decision = decide(input(record, absent, 30));
    expect(decision).toEqual(startNext(2));
    expectAllowed(record, decision);
    // A process this executor may see under the same attempt number does not make the attempt ours.
    expect(decide(input(record, runningObs(1), 30))).toEqual(startNext(2));
  });

  // The local executor reads the exit record the runner left (`recover`): the attempt ended while
  // nobody could record it, and its end is judged as if its own controller had seen it.
  it.each([
    { name: 'running, exit 0 → succeeded', job: () => running({ owner: OTHER }), exit: exitedObs(1, 0, 20), change: { state: 'succeeded', reason: null, message: null } },
    { name: 'starting, exit 0 → first recorded as running', job: () => starting({ owner: OTHER }), exit: exitedObs(1, 0, 20), change: { state: 'running' } },
    {
      name: 'running, exit 2 → failed with the reason it gave',
      job: () => running({ owner: OTHER }),
      exit: exitedObs(1, 2, 20, { error: { reason: 'SourceRefused', message: 'refused' } }),
      change: { state: 'failed', reason: 'SourceRefused', message: 'refused (exit code 2)' },
    },
  ])('an exit recovered from its record, $name', ({ job, exit, change }) => {
    const record = job();
    const decision = decide(input(record, exit, 30));
    expect(decision).toEqual({ kind: 'transition', change });
    expectAllowed(record, decision);
  });

  it('an exit recovered for an earlier attempt says nothing of the current one', () => {
    expect(decide(input(running({ attempt: 2, owner: OTHER }), exitedObs(1, 0, 20), 30))).toEqual(startNext(3));
  });

  it('the last attempt lost → failed/BackoffLimitExceeded', () => {
    const job = running({ attempt: 3, maxAttempts: 3, owner: OTHER });
    const decision = decide(input(job, absent, 30));
    expect(decision).toEqual({
      kind: 'transition',
      change: { state: 'failed', reason: 'BackoffLimitExceeded', message: `attempt 3 of 3 failed: ${lost} [Disrupted]` },
    });
    expectAllowed(job, decision);
  });

  it('cancelRequested → cancelled, even with no attempts left', () => {
    const job = { ...running({ attempt: 3, maxAttempts: 3, owner: OTHER }), cancelRequested: true };
    expect(decide(input(job, absent, 30))).toEqual({ kind: 'transition', change: { state: 'cancelled', reason: 'Cancelled', message: 'cancelled on request' } });
  });

  it('past the deadline → failed/DeadlineExceeded, even with attempts left', () => {
    const job = starting({ owner: OTHER, timeoutSeconds: 600 });
    expect(decide(input(job, absent, 601))).toEqual({ kind: 'transition', change: { state: 'failed', reason: 'DeadlineExceeded', message: 'did not finish within 600s' } });
  });
});

/**
 * Runs decisions the way the reconciler applies them (transition through the table, annotate,
 * the executor's observation held fixed) until `none`/`finished`, and returns the last record.
 */
function converge(job: Job, observation: AttemptObservation, nowSeconds: number): Job {
  let record = job;
  for (let step = 0; step < 10; step += 1) {
    const decision = decide(input(record, observation, nowSeconds));
    if (decision.kind === 'transition') record = move(record, decision.change, nowSeconds, decision.executor);
    else if (decision.kind === 'annotate') record = { ...record, ...decision.fields };
    else return record;
  }
  throw new Error('did not converge');
}

describe('decide: docs/architecture.md §3 cases found by review (fixed)', () => {
  // Was: `succeeded` straight from `starting`, which the §3 table forbids (starting → running |
  // starting | failed | cancelled), so `transitionJob` threw a conflict on every reconcile until the
  // deadline failed the job. Happens whenever an attempt exits 0 before a reconcile saw it running.
  it('an attempt that exits 0 before it was seen running ends succeeded through allowed moves', () => {
    const job = starting();
    expect(converge(job, exitedObs(1, 0, 2), 3).state).toBe('succeeded');
  });

  // Was: the deadline judged by `now`, not by when the attempt finished, so a job that exited 0
  // within timeoutSeconds but was reconciled after it failed with DeadlineExceeded.
  it('an attempt that succeeded before the deadline, reconciled after it, still succeeds', () => {
    const job = running({ timeoutSeconds: 600 });
    expect(decide(input(job, exitedObs(1, 0, 590), 605))).toEqual({ kind: 'transition', change: { state: 'succeeded', reason: null, message: null } });
  });

  // Was: startDeadlineSeconds checked for queued jobs only, so an owned attempt stuck in `starting`
  // was restarted until timeoutSeconds instead of failing with StartDeadlineExceeded.
  it('an attempt that never starts running fails with StartDeadlineExceeded', () => {
    const job = starting({ startDeadlineSeconds: 60, timeoutSeconds: 3_600 });
    expect(decide(input(job, absent, 120))).toMatchObject({ kind: 'transition', change: { state: 'failed', reason: 'StartDeadlineExceeded' } });
  });
});

describe('decide: properties over generated inputs', () => {
  const owners: Array<JobExecutor | null> = [ME, OTHER, null];
  const reasons = [null, 'Retrying', 'QueuedBehindLimit'];
  const nows = [1.5, 30, 59, 61, 700, 5_000];
  const errors: Array<JobErrorReport | undefined> = [undefined, { reason: 'SourceRefused', message: 'refused' }];

  function observationsFor(attempt: number): AttemptObservation[] {
    const list: AttemptObservation[] = [absent];
    for (const a of [attempt - 1, attempt, attempt + 1].filter((n) => n >= 1)) {
      list.push(runningObs(a), runningObs(a, 1, true));
      for (const [exitCode, signal] of [[0, null], [1, null], [2, null], [75, null], [143, null], [null, 'SIGKILL']] as const) {
        for (const error of errors) list.push(exitedObs(a, exitCode, 20, { signal, error }));
      }
    }
    return list;
  }

  function recordsFor(state: JobState, attempt: number, maxAttempts: number): Job[] {
    const shape = { attempt, maxAttempts, timeoutSeconds: 600, startDeadlineSeconds: 60 };
    if (state === 'queued') return attempt === 1 ? [queued(shape)] : [];
    const active = state === 'starting' ? starting(shape) : running(shape);
    return isFinalState(state) ? [move(running(shape), { state }, 50)] : [active];
  }

  interface Case {
    readonly input: DecisionInput;
    readonly decision: Decision;
  }

  const cases: Case[] = [];
  for (const state of JOB_STATES) {
    for (const maxAttempts of [1, 3]) {
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        for (const base of recordsFor(state, attempt, maxAttempts)) {
          for (const owner of owners) {
            for (const cancelRequested of [false, true]) {
              for (const reason of reasons) {
                const job: Job = { ...base, executor: state === 'queued' ? null : owner, cancelRequested, reason };
                for (const observation of observationsFor(attempt)) {
                  for (const now of nows) {
                    const admissions = state === 'queued' ? ([[true, null], [false, 0], [false, 7]] as const) : ([[false, null]] as const);
                    for (const [admitted, queuePosition] of admissions) {
                      const decisionInput = input(job, observation, now, { admitted, queuePosition });
                      cases.push({ input: decisionInput, decision: decide(decisionInput) });
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  it('generates many inputs', () => {
    expect(cases.length).toBeGreaterThan(10_000);
  });

  it('every transition, in every generated case, is allowed by canTransition and applies through transitionJob', () => {
    const transitions = cases.filter((c) => c.decision.kind === 'transition');
    // The property is about real moves: thousands of them, from every non-final state.
    expect(transitions.length).toBeGreaterThan(1_000);
    expect(new Set(transitions.map(({ input }) => input.job.state))).toEqual(new Set(['queued', 'starting', 'running']));
    const violations = transitions
      .filter(({ input: { job }, decision }) => {
        if (decision.kind !== 'transition') return false;
        const to = { state: decision.change.state, attempt: decision.change.attempt ?? job.attempt };
        if (!canTransition({ state: job.state, attempt: job.attempt }, to)) return true;
        transitionJob(job, decision.change, new Date(T0 + 1e9));
        return false;
      })
      .map(({ input: { job, observation }, decision }) => ({ state: job.state, attempt: job.attempt, observation, decision }));
    expect(violations).toEqual([]);
  });

  it('an owned exit 0 of a starting attempt moves it to running first, never straight to succeeded', () => {
    const exitedWhileStarting = cases.filter(
      ({ input: i }) => i.job.state === 'starting' && i.job.executor === ME && i.observation.phase === 'exited' && i.observation.attempt === i.job.attempt && i.observation.exitCode === 0,
    );
    expect(exitedWhileStarting.length).toBeGreaterThan(0);
    for (const { decision } of exitedWhileStarting) {
      expect(decision).not.toMatchObject({ kind: 'transition', change: { state: 'succeeded' } });
    }
  });

  it('final jobs are finished, purged or stopped (while something of them runs here); non-final ones never are finished or purged', () => {
    for (const { input: i, decision } of cases) {
      const ending = decision.kind === 'finished' || decision.kind === 'purge';
      if (!isFinalState(i.job.state)) expect(ending).toBe(false);
      else if (i.observation.phase === 'running') expect(decision).toEqual({ kind: 'stop', requeueAfterMs: 1000 });
      else expect(ending).toBe(true);
    }
  });

  it('a cancel request is only ever answered by stop (a live attempt), a move to cancelled, or the record of an attempt that already ended', () => {
    for (const { input: i, decision } of cases) {
      if (!i.job.cancelRequested || isFinalState(i.job.state)) continue;
      const o = i.observation;
      // Whoever started it: an exit this executor sees is its own or one recovered from the exit record.
      const endedAttempt = o.phase === 'exited' && o.attempt === i.job.attempt;
      if (decision.kind === 'stop') expect(i.observation).toMatchObject({ phase: 'running', attempt: i.job.attempt });
      else if (endedAttempt && decision.kind === 'transition' && decision.change.state === 'running') expect(i.job.state).toBe('starting');
      else if (endedAttempt && decision.kind === 'transition' && decision.change.state === 'succeeded') expect(o.phase === 'exited' && o.exitCode).toBe(0);
      else if (decision.kind === 'transition' && decision.change.state === 'failed') expect(decision.change.reason).toBe(JobReason.DeadlineExceeded);
      else expect(decision).toMatchObject({ kind: 'transition', change: { state: 'cancelled', reason: JobReason.Cancelled } });
    }
  });

  it('start and stop of a live job are only decided for this executor’s own attempt', () => {
    for (const { input: i, decision } of cases) {
      if ((decision.kind !== 'start' && decision.kind !== 'stop') || isFinalState(i.job.state)) continue;
      expect(i.job.executor).toEqual(ME);
      if (decision.kind === 'start') expect(i.job.state).toBe('starting');
      if (decision.kind === 'stop') expect(i.observation).toMatchObject({ phase: 'running', attempt: i.job.attempt });
    }
  });

  it('a move to starting always opens the next attempt, owned by this executor, and starts it', () => {
    for (const { input: i, decision } of cases) {
      if (decision.kind !== 'transition' || decision.change.state !== 'starting') continue;
      expect(decision.change.attempt).toBe(i.job.attempt + 1);
      expect(decision.change.attempt).toBeLessThanOrEqual(i.job.maxAttempts);
      expect(decision.executor).toEqual(ME);
      expect(decision.then).toBe('start');
    }
  });

  it('requeue delays are positive', () => {
    for (const { decision } of cases) {
      if ('requeueAfterMs' in decision && decision.requeueAfterMs !== undefined) expect(decision.requeueAfterMs).toBeGreaterThan(0);
    }
  });

  it('a permanent exit (2) of the current attempt is never retried, whoever started it', () => {
    for (const { input: i, decision } of cases) {
      const o = i.observation;
      if (o.phase !== 'exited' || o.exitCode !== 2 || o.attempt !== i.job.attempt || isFinalState(i.job.state)) continue;
      expect(decision.kind).toBe('transition');
      // From `starting` the attempt is first recorded as running; from `running` it fails (or is cancelled).
      if (decision.kind === 'transition') expect(i.job.state === 'starting' ? ['running'] : ['failed', 'cancelled']).toContain(decision.change.state);
    }
  });
});
