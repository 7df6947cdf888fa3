import { canTransition, FINAL_STATES, isFinalState, isJobState, JOB_STATES, JOB_TRANSITIONS, type JobState } from './job-state.js';

/** Every pair of states, with whether the table lets a job move from the first to the second. */
const ALLOWED: Record<JobState, Record<JobState, boolean>> = {
  queued: { queued: false, starting: true, running: false, succeeded: false, failed: true, cancelled: true },
  starting: { queued: false, starting: true, running: true, succeeded: false, failed: true, cancelled: true },
  running: { queued: false, starting: true, running: false, succeeded: true, failed: true, cancelled: true },
  succeeded: { queued: false, starting: false, running: false, succeeded: false, failed: false, cancelled: false },
  failed: { queued: false, starting: false, running: false, succeeded: false, failed: false, cancelled: false },
  cancelled: { queued: false, starting: false, running: false, succeeded: false, failed: false, cancelled: false },
};

const PAIRS = JOB_STATES.flatMap((from) => JOB_STATES.map((to) => ({ from, to, allowed: ALLOWED[from][to] })));

/** The attempt a move must carry to be valid: the next one for `starting`, the same otherwise. */
const nextAttempt = (to: JobState, attempt: number): number => (to === 'starting' ? attempt + 1 : attempt);

describe('JOB_TRANSITIONS', () => {
  it('covers all 36 pairs of the six states', () => {
    expect(JOB_STATES).toEqual(['queued', 'starting', 'running', 'succeeded', 'failed', 'cancelled']);
    expect(PAIRS).toHaveLength(36);
  });

  it.each(PAIRS)('$from → $to allowed: $allowed', ({ from, to, allowed }) => {
    expect(JOB_TRANSITIONS[from].includes(to)).toBe(allowed);
    // With the right attempt, canTransition agrees with the table.
    expect(canTransition({ state: from, attempt: 2 }, { state: to, attempt: nextAttempt(to, 2) })).toBe(allowed);
  });
});

describe('canTransition attempt rules', () => {
  it('opens attempt 1 when a queued job (attempt 0) first starts', () => {
    expect(canTransition({ state: 'queued', attempt: 0 }, { state: 'starting', attempt: 1 })).toBe(true);
  });

  it.each([
    { from: 'queued', attempt: 0, toAttempt: 0 },
    { from: 'queued', attempt: 0, toAttempt: 2 },
    { from: 'starting', attempt: 1, toAttempt: 1 },
    { from: 'starting', attempt: 1, toAttempt: 3 },
    { from: 'starting', attempt: 2, toAttempt: 1 },
    { from: 'running', attempt: 1, toAttempt: 1 },
    { from: 'running', attempt: 1, toAttempt: 0 },
  ] as const)('refuses $from (attempt $attempt) → starting (attempt $toAttempt)', ({ from, attempt, toAttempt }) => {
    expect(canTransition({ state: from, attempt }, { state: 'starting', attempt: toAttempt })).toBe(false);
  });

  it.each([
    { from: 'starting', attempt: 1 },
    { from: 'starting', attempt: 4 },
    { from: 'running', attempt: 1 },
    { from: 'running', attempt: 9 },
  ] as const)('allows $from (attempt $attempt) → starting (next attempt)', ({ from, attempt }) => {
    expect(canTransition({ state: from, attempt }, { state: 'starting', attempt: attempt + 1 })).toBe(true);
  });

  const keepingMoves = PAIRS.filter(({ to, allowed }) => allowed && to !== 'starting');

  it.each(keepingMoves)('$from → $to keeps the attempt', ({ from, to }) => {
    expect(canTransition({ state: from, attempt: 2 }, { state: to, attempt: 2 })).toBe(true);
    expect(canTransition({ state: from, attempt: 2 }, { state: to, attempt: 3 })).toBe(false);
    expect(canTransition({ state: from, attempt: 2 }, { state: to, attempt: 1 })).toBe(false);
  });

  it('does not treat staying put as a transition', () => {
    expect(canTransition({ state: 'running', attempt: 1 }, { state: 'running', attempt: 1 })).toBe(false);
    expect(canTransition({ state: 'queued', attempt: 0 }, { state: 'queued', attempt: 0 })).toBe(false);
  });
});

describe('isFinalState', () => {
  it.each([
    ['queued', false],
    ['starting', false],
    ['running', false],
    ['succeeded', true],
    ['failed', true],
    ['cancelled', true],
  ] as const)('%s → %s', (state, final) => {
    expect(isFinalState(state)).toBe(final);
    expect(FINAL_STATES.has(state)).toBe(final);
  });

  it('final states have no way out', () => {
    for (const state of JOB_STATES.filter(isFinalState)) expect(JOB_TRANSITIONS[state]).toEqual([]);
  });
});

describe('isJobState', () => {
  it.each([...JOB_STATES])('accepts %s', (state) => {
    expect(isJobState(state)).toBe(true);
  });

  it.each(['', 'Queued', 'done', 'pending', 0, null, undefined, ['queued']])('rejects %j', (value) => {
    expect(isJobState(value)).toBe(false);
  });
});
