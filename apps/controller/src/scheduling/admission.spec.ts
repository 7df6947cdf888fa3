import { createQueuedJob, transitionJob, type Job } from '@ferry/contracts';
import { planAdmissions, type ConcurrencyLimits } from './admission.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');

/** A job id that sorts by `n` (ids are time-sortable, so a lower n was submitted earlier). */
const id = (n: number): string => `01jq${String(n).padStart(22, '0')}`;

function queued(n: number, tenant = 'acme', cancelRequested = false): Job {
  const job = createQueuedJob({
    id: id(n),
    tenant,
    pipeline: 'sleep',
    params: {},
    labels: {},
    maxAttempts: 3,
    timeoutSeconds: 600,
    startDeadlineSeconds: 600,
    now: T0,
  });
  return { ...job, cancelRequested };
}

function active(n: number, tenant = 'acme', state: 'starting' | 'running' = 'running'): Job {
  const starting = transitionJob(queued(n, tenant), { state: 'starting', attempt: 1 }, T0);
  return state === 'starting' ? starting : transitionJob(starting, { state: 'running' }, T0);
}

const limits = (global: number, perTenant: number | undefined): ConcurrencyLimits => ({ global, perTenant });

/** The plan as plain data: admitted ids (sorted) and positions in FIFO order. */
function plan(queuedJobs: Job[], activeJobs: Job[], l: ConcurrencyLimits): { admitted: string[]; positions: Array<[string, number]> } {
  const result = planAdmissions(queuedJobs, activeJobs, l);
  return { admitted: [...result.admitted].sort(), positions: [...result.positions.entries()] };
}

describe('planAdmissions', () => {
  it('takes queued jobs oldest first (by id), whatever order they come in', () => {
    const jobs = [queued(4), queued(2), queued(3), queued(1)];
    expect(plan(jobs, [], limits(2, 10))).toEqual({
      admitted: [id(1), id(2)],
      positions: [
        [id(3), 0],
        [id(4), 1],
      ],
    });
    // The caller's array is left as it was.
    expect(jobs.map((job) => job.id)).toEqual([id(4), id(2), id(3), id(1)]);
  });

  it('admits everything under generous limits; nothing waits', () => {
    expect(plan([queued(1), queued(2, 'beta'), queued(3)], [], limits(10, 10))).toEqual({ admitted: [id(1), id(2), id(3)], positions: [] });
  });

  it('an empty queue gives an empty plan', () => {
    expect(plan([], [active(1)], limits(1, 1))).toEqual({ admitted: [], positions: [] });
  });

  it.each([
    { name: 'free slots', activeCount: 1, global: 3, admitted: [1, 2], waiting: [3, 4] },
    { name: 'one slot', activeCount: 2, global: 3, admitted: [1], waiting: [2, 3, 4] },
    { name: 'full', activeCount: 3, global: 3, admitted: [], waiting: [1, 2, 3, 4] },
    { name: 'over full (limit lowered)', activeCount: 5, global: 3, admitted: [], waiting: [1, 2, 3, 4] },
    { name: 'limit 0', activeCount: 0, global: 0, admitted: [], waiting: [1, 2, 3, 4] },
  ])('global limit with active jobs counted: $name', ({ activeCount, global, admitted, waiting }) => {
    // Active jobs of many tenants, queued jobs of yet others: only the global limit binds.
    const activeJobs = Array.from({ length: activeCount }, (_, i) => active(100 + i, `run${i}`));
    const queuedJobs = [1, 2, 3, 4].map((n) => queued(n, `t${n}`));
    expect(plan(queuedJobs, activeJobs, limits(global, 100))).toEqual({
      admitted: admitted.map(id),
      positions: waiting.map((n, position) => [id(n), position]),
    });
  });

  it('a tenant at its limit waits without blocking other tenants behind it', () => {
    const queuedJobs = [queued(1, 'acme'), queued(2, 'acme'), queued(3, 'beta'), queued(4, 'acme'), queued(5, 'gamma')];
    expect(plan(queuedJobs, [], limits(10, 1))).toEqual({
      admitted: [id(1), id(3), id(5)],
      positions: [
        [id(2), 0],
        [id(4), 1],
      ],
    });
  });

  it("active jobs count against their tenant's limit (starting and running alike)", () => {
    const activeJobs = [active(90, 'acme', 'starting'), active(91, 'acme', 'running'), active(92, 'beta')];
    const queuedJobs = [queued(1, 'acme'), queued(2, 'beta'), queued(3, 'beta'), queued(4, 'gamma')];
    expect(plan(queuedJobs, activeJobs, limits(10, 2))).toEqual({
      admitted: [id(2), id(4)],
      positions: [
        [id(1), 0],
        [id(3), 1],
      ],
    });
  });

  it('both limits at once: positions are numbered 0.. in the order jobs would start, tenants taking turns', () => {
    const activeJobs = [active(90, 'acme')];
    const queuedJobs = [queued(1, 'acme'), queued(2, 'beta'), queued(3, 'acme'), queued(4, 'gamma'), queued(5, 'beta'), queued(6, 'delta')];
    // 3 slots, 1 taken by acme; per tenant 1: acme waits, beta and gamma start, then the slots are gone.
    // In line: the first of each tenant's jobs (acme's 1, delta's 6), then the seconds (3, 5).
    expect(plan(queuedJobs, activeJobs, limits(3, 1))).toEqual({
      admitted: [id(2), id(4)],
      positions: [
        [id(1), 0],
        [id(6), 1],
        [id(3), 2],
        [id(5), 3],
      ],
    });
  });

  it('takes turns: a tenant with a long queue does not start all its jobs ahead of one that submitted later', () => {
    const queuedJobs = [...Array.from({ length: 10 }, (_unused, index) => queued(index + 1, 'acme')), queued(20, 'beta')];
    expect(plan(queuedJobs, [], limits(3, 3)).admitted).toEqual([id(1), id(2), id(20)]);
  });

  it('without a per-tenant limit, each tenant with work gets a fair share of the global limit', () => {
    // Two tenants with work, 4 slots: 2 each. acme holds 2 day-long jobs: beta's job starts, acme's next waits.
    const held = [active(1, 'acme'), active(2, 'acme')];
    expect(plan([queued(3, 'acme'), queued(4, 'beta')], held, limits(4, undefined))).toEqual({ admitted: [id(4)], positions: [[id(3), 0]] });
    // Alone, a tenant may use every slot.
    expect(plan([queued(3, 'acme'), queued(5, 'acme')], held, limits(4, undefined)).admitted).toEqual([id(3), id(5)]);
    // Three tenants with work and 4 slots: a share of 2 (rounded up); the 2 free slots go one to each waiting tenant under it.
    expect(plan([queued(3, 'acme'), queued(4, 'beta'), queued(5, 'beta'), queued(6, 'beta'), queued(7, 'gamma')], held, limits(4, undefined)).admitted).toEqual([id(4), id(7)]);
  });

  it('skips queued jobs with cancelRequested: no slot, no place in line', () => {
    const queuedJobs = [queued(1, 'acme', true), queued(2), queued(3, 'acme', true), queued(4), queued(5)];
    expect(plan(queuedJobs, [], limits(1, 5))).toEqual({
      admitted: [id(2)],
      positions: [
        [id(4), 0],
        [id(5), 1],
      ],
    });
  });

  it('ids compare as strings (lexicographic, the ULID order)', () => {
    const early = { ...queued(0), id: '01hzzzzzzzzzzzzzzzzzzzzzzz' };
    const late = { ...queued(0), id: '01j0000000000000000000000a' };
    expect(plan([late, early], [], limits(1, 1))).toEqual({ admitted: [early.id], positions: [[late.id, 0]] });
  });
});
