import { JobReason } from '@ferry/contracts';
import type { Decision, DecisionInput } from './decision.js';

const SECOND = 1000;
/** How often to look at a job whose executor reports nothing new (its watch also wakes us). */
const IDLE_REQUEUE_MS = 60 * SECOND;
/**
 * Kubernetes timestamps are whole seconds, truncated: a pod "created at 12:00:07" was created within
 * that second. Counting the start deadline from the second's end means it never fires early (it
 * did, by up to a second, on the real control plane), at the cost of at most a second late.
 */
const TIMESTAMP_RESOLUTION_MS = SECOND;

/**
 * The reconcile core for executors that run the whole job themselves (a Kubernetes Job retries its
 * pods and enforces `activeDeadlineSeconds`): the record follows what the executor reports, one
 * allowed transition at a time — each new attempt is `starting`, then `running`, and the executor's
 * final word decides the final state. Ferry itself decides only cancel and the start deadline.
 */
export function decideDelegated(input: DecisionInput): Decision {
  const { job, observation, now } = input;
  if (job.cancelRequested) {
    if (observation.phase === 'absent' || observation.phase === 'finished') {
      return { kind: 'transition', change: { state: 'cancelled', reason: JobReason.Cancelled, message: 'cancelled on request' } };
    }
    return { kind: 'stop', requeueAfterMs: SECOND };
  }
  if (observation.phase === 'absent') {
    // Not created yet (the start was decided and not carried out), or gone before it finished.
    if (job.state === 'starting' && job.attempt === 1) return { kind: 'start' };
    return { kind: 'transition', change: { state: 'failed', reason: JobReason.Lost, message: 'the job vanished from the executor before it finished' } };
  }
  if (observation.phase === 'exited') return { kind: 'none', requeueAfterMs: SECOND };

  // A later attempt than the record knows: record the next one (attempts move one at a time).
  if (observation.attempt > job.attempt) {
    return { kind: 'transition', change: { state: 'starting', attempt: job.attempt + 1, reason: null, message: null } };
  }
  if (observation.phase === 'pending') {
    const startDeadlineMs = observation.since.getTime() + TIMESTAMP_RESOLUTION_MS + job.startDeadlineSeconds * SECOND;
    const cause = observation.reason ?? 'Pending';
    if (now.getTime() >= startDeadlineMs) {
      const detail = observation.message === null ? cause : `${cause}: ${observation.message}`;
      return {
        kind: 'transition',
        change: { state: 'failed', reason: JobReason.StartDeadlineExceeded, message: `attempt ${job.attempt} did not start running within ${job.startDeadlineSeconds}s (${detail})` },
      };
    }
    const requeueAfterMs = Math.min(startDeadlineMs - now.getTime(), IDLE_REQUEUE_MS);
    if (job.reason === observation.reason && job.message === observation.message) return { kind: 'none', requeueAfterMs };
    return { kind: 'annotate', fields: { reason: observation.reason, message: observation.message, queuePosition: null }, requeueAfterMs };
  }
  // running or finished: an attempt that ran is first recorded as running.
  if (job.state === 'starting') return { kind: 'transition', change: { state: 'running', reason: null, message: null } };
  if (observation.phase === 'running') return { kind: 'none', requeueAfterMs: IDLE_REQUEUE_MS };
  return {
    kind: 'transition',
    change: { state: observation.outcome, reason: observation.reason, message: observation.message },
  };
}
