import { ExitCode, JobReason, classifyExitCode, isFinalState } from '@ferry/contracts';
import { decideDelegated } from './delegated.decider.js';
import type { Decision, DecisionInput } from './decision.js';
import { retryDelayMs } from './retry.schedule.js';

const SECOND = 1000;

/**
 * The reconcile core: pure, level-based. Given the record and the observation, it names the one
 * next step toward the state the record asks for; the reconciler applies it with compare-and-set
 * and calls again until the answer is `none` (or `finished`, `purge`).
 */
export function decide(input: DecisionInput): Decision {
  const { job } = input;
  if (isFinalState(job.state)) return decideFinal(input);
  if (job.state === 'queued') return decideQueued(input);
  return input.retriesAttempts ? decideDelegated(input) : decideActive(input);
}

/** A final job: stop whatever of it this executor still runs, then let go of it; purge it once past retention. */
function decideFinal({ job, observation, now, retentionMs }: DecisionInput): Decision {
  if (observation.phase === 'running' || observation.phase === 'pending') return { kind: 'stop', requeueAfterMs: SECOND };
  const finishedMs = Date.parse(job.finishedAt ?? job.updatedAt);
  return now.getTime() - finishedMs >= retentionMs ? { kind: 'purge' } : { kind: 'finished' };
}

function decideQueued(input: DecisionInput): Decision {
  const { job, now } = input;
  if (job.cancelRequested) {
    return { kind: 'transition', change: { state: 'cancelled', reason: JobReason.Cancelled, message: 'cancelled before it started' } };
  }
  if (!input.pipelineKnown) {
    return { kind: 'transition', change: { state: 'failed', reason: JobReason.InvalidSubmission, message: `pipeline "${job.pipeline}" is no longer in the catalog` } };
  }
  const waitedMs = now.getTime() - Date.parse(job.createdAt);
  const startDeadlineMs = job.startDeadlineSeconds * SECOND;
  if (waitedMs >= startDeadlineMs) {
    const cause = job.reason ?? JobReason.QueuedBehindLimit;
    return {
      kind: 'transition',
      change: { state: 'failed', reason: JobReason.StartDeadlineExceeded, message: `did not start within ${job.startDeadlineSeconds}s (${cause})` },
    };
  }
  if (input.admitted) {
    return { kind: 'transition', change: { state: 'starting', attempt: 1, reason: null, message: null }, executor: input.executor, then: 'start' };
  }
  const fields = {
    reason: JobReason.QueuedBehindLimit,
    message: 'waiting for a free slot (concurrency limit)',
    queuePosition: input.queuePosition,
  };
  const requeueAfterMs = startDeadlineMs - waitedMs;
  if (job.reason === fields.reason && job.message === fields.message && job.queuePosition === fields.queuePosition) {
    return { kind: 'none', requeueAfterMs };
  }
  return { kind: 'annotate', fields, requeueAfterMs };
}

function decideActive(input: DecisionInput): Decision {
  const { job, now, observation } = input;
  const deadlineMs = Date.parse(job.startedAt ?? job.updatedAt) + job.timeoutSeconds * SECOND;
  const ownsAttempt = job.executor?.name === input.executor.name && job.executor.kind === input.executor.kind;
  const seen = observation.phase === 'running' || observation.phase === 'exited' ? observation : undefined;
  // An exit is evidence whoever started the attempt: one recovered from its exit record belongs to
  // a controller that died (or stepped down) before recording it.
  const current = seen !== undefined && seen.attempt === job.attempt && (ownsAttempt || seen.phase === 'exited') ? seen : undefined;
  // An attempt that has ended is judged by when it ended, not by when we look.
  const pastDeadline = (current?.phase === 'exited' ? current.finishedAt.getTime() : now.getTime()) >= deadlineMs;

  if (current?.phase === 'running') {
    if (job.cancelRequested || pastDeadline) return { kind: 'stop', requeueAfterMs: SECOND };
    if (job.state === 'starting') return { kind: 'transition', change: { state: 'running' }, requeueAfterMs: deadlineMs - now.getTime() };
    return { kind: 'none', requeueAfterMs: deadlineMs - now.getTime() };
  }
  // The attempt ran and ended before anyone saw it running: record that it ran, then judge the end.
  if (current?.phase === 'exited' && job.state === 'starting') return { kind: 'transition', change: { state: 'running' } };

  if (ownsAttempt && current === undefined && job.state === 'starting' && !job.cancelRequested && !pastDeadline) {
    // Waiting to run. The attempt entered `starting` at its last write (nothing else writes it meanwhile).
    const startDeadlineMs = Date.parse(job.updatedAt) + job.startDeadlineSeconds * SECOND;
    if (now.getTime() >= startDeadlineMs) {
      return {
        kind: 'transition',
        change: { state: 'failed', reason: JobReason.StartDeadlineExceeded, message: `attempt ${job.attempt} did not start running within ${job.startDeadlineSeconds}s` },
      };
    }
    // Started in the record, no process yet: the start was decided and not carried out.
    return { kind: 'start' };
  }

  // A successful end stands even if a cancel request or the deadline came after it.
  if (current?.phase === 'exited' && current.exitCode === ExitCode.Succeeded && !pastDeadline) {
    return { kind: 'transition', change: { state: 'succeeded', reason: null, message: null } };
  }
  if (job.cancelRequested) return { kind: 'transition', change: { state: 'cancelled', reason: JobReason.Cancelled, message: 'cancelled on request' } };
  if (pastDeadline) {
    return {
      kind: 'transition',
      change: { state: 'failed', reason: JobReason.DeadlineExceeded, message: `did not finish within ${job.timeoutSeconds}s` },
    };
  }
  if (current === undefined) {
    // Nobody runs this attempt: its controller died (its runner stopped with it) or lost it.
    return retryOrFail(input, JobReason.Disrupted, 'the attempt was lost with the controller that ran it', now.getTime(), deadlineMs);
  }
  const { exitCode, signal, error } = current;
  const what = exitCode === null ? `killed by ${signal ?? 'a signal'}` : `exit code ${exitCode}`;
  const detail = error === undefined ? what : `${error.message} (${what})`;
  if (exitCode !== null && classifyExitCode(exitCode) === 'permanent') {
    return { kind: 'transition', change: { state: 'failed', reason: error?.reason ?? JobReason.ExitCode, message: detail } };
  }
  const retryAt = current.finishedAt.getTime() + retryDelayMs(job.attempt, input.retryBaseMs, input.retryMaxMs);
  return retryOrFail(input, error?.reason ?? JobReason.ExitCode, detail, retryAt, deadlineMs);
}

/** A failed attempt: the next one once `retryAt` has come, if attempts remain; else the job fails. */
function retryOrFail(input: DecisionInput, reason: string, detail: string, retryAt: number, deadlineMs: number): Decision {
  const { job, now } = input;
  if (job.attempt >= job.maxAttempts) {
    return {
      kind: 'transition',
      change: { state: 'failed', reason: JobReason.BackoffLimitExceeded, message: `attempt ${job.attempt} of ${job.maxAttempts} failed: ${detail} [${reason}]` },
    };
  }
  if (now.getTime() >= retryAt) {
    return {
      kind: 'transition',
      change: { state: 'starting', attempt: job.attempt + 1, reason: null, message: null },
      executor: input.executor,
      then: 'start',
    };
  }
  const waitSeconds = Math.ceil((retryAt - now.getTime()) / SECOND);
  // Look again at the retry time, or at the deadline if that comes first.
  const requeueAfterMs = Math.min(retryAt, deadlineMs) - now.getTime();
  const fields = { reason: JobReason.Retrying, message: `attempt ${job.attempt} failed: ${detail}; attempt ${job.attempt + 1} in ${waitSeconds}s`, queuePosition: null };
  if (job.reason === JobReason.Retrying) return { kind: 'none', requeueAfterMs };
  return { kind: 'annotate', fields, requeueAfterMs };
}
