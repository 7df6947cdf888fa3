import { canTransition, createQueuedJob, transitionJob, type Job, type JobExecutor } from '@ferry/contracts';
import type { AttemptObservation } from '@ferry/executor';
import type { Decision } from './decision.js';
import { decide } from './job.decider.js';

const K8S: JobExecutor = { kind: 'kubernetes', name: 'ferry-01jq0000000000000000000001', namespace: 'jobs' };
const at = (seconds: number): Date => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

function job(state: 'starting' | 'running', attempt = 1, extra: Partial<Job> = {}): Job {
  let record = createQueuedJob({
    id: '01jq0000000000000000000001',
    tenant: 'acme',
    pipeline: 'sleep',
    params: {},
    labels: {},
    maxAttempts: 3,
    timeoutSeconds: 600,
    startDeadlineSeconds: 60,
    now: at(0),
  });
  for (let n = 1; n <= attempt; n += 1) {
    record = transitionJob(record, { state: 'starting', attempt: n }, at(n));
    if (n < attempt || state === 'running') record = transitionJob(record, { state: 'running' }, at(n));
  }
  return { ...record, executor: K8S, ...extra };
}

const decideFor = (record: Job, observation: AttemptObservation, seconds = 10): Decision =>
  decide({ job: record, observation, now: at(seconds), executor: K8S, admitted: false, queuePosition: null, retryBaseMs: 10_000, retryMaxMs: 360_000, retriesAttempts: true, pipelineKnown: true, retentionMs: 86_400_000 });

const pending = (attempt: number, since: number, reason: string | null = null, message: string | null = null): AttemptObservation => ({ phase: 'pending', attempt, since: at(since), reason, message });
const running = (attempt: number): AttemptObservation => ({ phase: 'running', attempt, startedAt: at(2), stopping: false });
const finished = (attempt: number, outcome: 'succeeded' | 'failed', reason: string | null = null, message: string | null = null): AttemptObservation => ({
  phase: 'finished',
  attempt,
  outcome,
  reason,
  message,
  finishedAt: at(9),
});

describe('decide for an executor that runs the whole job (Kubernetes)', () => {
  it.each<[string, Job, AttemptObservation, Decision]>([
    ['not created yet: create it', job('starting'), { phase: 'absent' }, { kind: 'start' }],
    ['pending with a cause: say it on the record', job('starting'), pending(1, 5, 'Unschedulable', '0/3 nodes match'), { kind: 'annotate', fields: { reason: 'Unschedulable', message: '0/3 nodes match', queuePosition: null }, requeueAfterMs: 56_000 }],
    ['running: record it', job('starting'), running(1), { kind: 'transition', change: { state: 'running', reason: null, message: null } }],
    ['running and recorded: nothing', job('running'), running(1), { kind: 'none', requeueAfterMs: 60_000 }],
    ['a next pod: the next attempt', job('running'), pending(2, 8), { kind: 'transition', change: { state: 'starting', attempt: 2, reason: null, message: null } }],
    ['finished before it was seen running: running first', job('starting'), finished(1, 'succeeded'), { kind: 'transition', change: { state: 'running', reason: null, message: null } }],
    ['the Job completed', job('running'), finished(1, 'succeeded'), { kind: 'transition', change: { state: 'succeeded', reason: null, message: null } }],
    ['the Job failed at its backoff limit', job('running', 3), finished(3, 'failed', 'BackoffLimitExceeded', 'attempt 3 of 3 failed: exit code 75'), { kind: 'transition', change: { state: 'failed', reason: 'BackoffLimitExceeded', message: 'attempt 3 of 3 failed: exit code 75' } }],
    ['the Job failed after more attempts than recorded: step the attempt first', job('running', 1), finished(3, 'failed', 'BackoffLimitExceeded', 'x'), { kind: 'transition', change: { state: 'starting', attempt: 2, reason: null, message: null } }],
    ['cancel while it runs: delete it', job('running', 1, { cancelRequested: true }), running(1), { kind: 'stop', requeueAfterMs: 1000 }],
    ['cancel and it is gone: cancelled', job('running', 1, { cancelRequested: true }), { phase: 'absent' }, { kind: 'transition', change: { state: 'cancelled', reason: 'Cancelled', message: 'cancelled on request' } }],
    ['gone without a cancel: lost', job('running'), { phase: 'absent' }, { kind: 'transition', change: { state: 'failed', reason: 'Lost', message: 'the job vanished from the executor before it finished' } }],
  ])('%s', (_name, record, observation, expected) => {
    const decision = decideFor(record, observation);
    expect(decision).toEqual(expected);
    if (decision.kind === 'transition') {
      expect(canTransition(record, { state: decision.change.state, attempt: decision.change.attempt ?? record.attempt })).toBe(true);
    }
  });

  it('fails at the start deadline, naming the cause', () => {
    const decision = decideFor(job('starting'), pending(1, 5, 'ImagePullBackOff', 'Back-off pulling image "nope:1"'), 70);
    expect(decision).toEqual({
      kind: 'transition',
      change: { state: 'failed', reason: 'StartDeadlineExceeded', message: 'attempt 1 did not start running within 60s (ImagePullBackOff: Back-off pulling image "nope:1")' },
    });
  });

  it('leaves a record that already names the cause alone', () => {
    const record = job('starting', 1, { reason: 'Unschedulable', message: 'm' });
    expect(decideFor(record, pending(1, 5, 'Unschedulable', 'm'))).toEqual({ kind: 'none', requeueAfterMs: 56_000 });
  });

  it('counts the start deadline from the end of the pending second (Kubernetes truncates timestamps)', () => {
    // Pending since 5 s (a whole-second timestamp), deadline 60 s: not before 66 s.
    expect(decideFor(job('starting'), pending(1, 5, 'Unschedulable', 'm'), 65.9)).toMatchObject({ kind: 'annotate' });
    expect(decideFor(job('starting'), pending(1, 5, 'Unschedulable', 'm'), 66)).toMatchObject({ kind: 'transition', change: { reason: 'StartDeadlineExceeded' } });
  });
});
