import { ErrorCode, FerryError } from './errors.js';
import { canTransition, isFinalState, type JobState } from './job-state.js';
import type { Job } from './job.schema.js';

export interface StateChange {
  readonly state: JobState;
  /** Required when `state` is `starting` (the next attempt); otherwise the attempt stays. */
  readonly attempt?: number;
  readonly reason?: string | null;
  readonly message?: string | null;
}

/**
 * Moves a job to a new state through the transition table, stamping the times that the move
 * implies. Throws `conflict` for a move the table forbids, so no writer can move a job backwards.
 */
export function transitionJob(job: Job, change: StateChange, now: Date): Job {
  const attempt = change.attempt ?? job.attempt;
  if (!canTransition({ state: job.state, attempt: job.attempt }, { state: change.state, attempt })) {
    throw new FerryError(
      ErrorCode.Conflict,
      `job ${job.id} cannot move from ${job.state} (attempt ${job.attempt}) to ${change.state} (attempt ${attempt})`,
    );
  }
  const at = now.toISOString();
  return {
    ...job,
    state: change.state,
    attempt,
    reason: change.reason === undefined ? job.reason : change.reason,
    message: change.message === undefined ? job.message : change.message,
    queuePosition: change.state === 'queued' ? job.queuePosition : null,
    startedAt: job.startedAt ?? (change.state === 'starting' ? at : null),
    finishedAt: isFinalState(change.state) ? at : null,
    updatedAt: at,
  };
}
