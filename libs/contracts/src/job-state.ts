/** The states a job moves through, forward only (docs/architecture.md §3). */
export const JOB_STATES = ['queued', 'starting', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const FINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Allowed transitions. `starting → starting` and `running → starting` are the next attempt,
 * so a transition is judged on `(attempt, state)`, never on the state alone.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['starting', 'cancelled', 'failed'],
  starting: ['running', 'starting', 'failed', 'cancelled'],
  running: ['succeeded', 'starting', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export interface JobPosition {
  readonly state: JobState;
  readonly attempt: number;
}

export function isFinalState(state: JobState): boolean {
  return FINAL_STATES.has(state);
}

export function isJobState(value: unknown): value is JobState {
  return typeof value === 'string' && (JOB_STATES as readonly string[]).includes(value);
}

/**
 * The only gate for a state change. A move to `starting` opens the next attempt (a queued job has
 * attempt 0, so its first start is attempt 1); every other move keeps the attempt. Staying put is
 * not a transition: a write that changes only progress or other fields needs no gate.
 */
export function canTransition(from: JobPosition, to: JobPosition): boolean {
  if (!JOB_TRANSITIONS[from.state].includes(to.state)) return false;
  return to.attempt === (to.state === 'starting' ? from.attempt + 1 : from.attempt);
}
