import { createQueuedJob, jobKey, transitionJob, type Job } from '@ferry/contracts';
import { JobIndex } from './job.index.js';

const T0 = new Date('2030-01-01T00:00:00.000Z');
const T1 = new Date('2030-01-01T00:00:01.000Z');

const id = (n: number): string => `01jq${String(n).padStart(22, '0')}`;
const key = (job: Job): string => jobKey(job.tenant, job.id);

function queued(n: number, tenant = 'acme', queuePosition: number | null = null): Job {
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
  return { ...job, queuePosition };
}

const start = (job: Job): Job => transitionJob(job, { state: 'starting', attempt: job.attempt + 1 }, T1);
const run = (job: Job): Job => transitionJob(job, { state: 'running' }, T1);

describe('JobIndex', () => {
  it('keeps non-final jobs under <tenant>.<id>; a later put replaces the entry', () => {
    const index = new JobIndex({ global: 10, perTenant: 10 });
    index.put(queued(1));
    index.put(queued(2, 'beta'));
    index.put(start(queued(1)));
    expect(index.keys().sort()).toEqual([`acme.${id(1)}`, `beta.${id(2)}`]);
  });

  it.each(['succeeded', 'failed', 'cancelled'] as const)('a job that becomes %s leaves the index and frees its slot', (state) => {
    const index = new JobIndex({ global: 1, perTenant: 1 });
    const running = run(start(queued(1)));
    index.put(running);
    index.put(queued(2));
    expect(index.plan().admitted.has(id(2))).toBe(false);
    expect(index.plan().positions.get(id(2))).toBe(0);
    index.put(transitionJob(running, { state }, T1));
    expect(index.keys()).toEqual([`acme.${id(2)}`]);
    expect(index.plan().admitted.has(id(2))).toBe(true);
    expect(index.plan().positions.size).toBe(0);
  });

  it('a final job it never saw is not added', () => {
    const index = new JobIndex({ global: 1, perTenant: 1 });
    const before = index.plan();
    index.put(transitionJob(queued(1), { state: 'cancelled' }, T1));
    expect(index.keys()).toEqual([]);
    expect(index.plan()).toBe(before);
  });

  it('remove() drops a key; removing an unknown key changes nothing', () => {
    const index = new JobIndex({ global: 1, perTenant: 1 });
    index.put(run(start(queued(1))));
    index.put(queued(2));
    const before = index.plan();
    index.remove(`acme.${id(99)}`);
    expect(index.plan()).toBe(before);
    index.remove(`acme.${id(1)}`);
    const after = index.plan();
    expect(after).not.toBe(before);
    expect(after.admitted.has(id(2))).toBe(true);
  });

  describe('plan()', () => {
    it('is memoised while no job changes state (the same object)', () => {
      const index = new JobIndex({ global: 1, perTenant: 1 });
      const job = queued(1);
      index.put(job);
      index.put(queued(2));
      const first = index.plan();
      expect(index.plan()).toBe(first);
      // Same state, other fields changed (place in line, reason, progress): still the same plan.
      index.put({ ...job, queuePosition: 3, reason: 'QueuedBehindLimit', message: 'waiting', updatedAt: T1.toISOString() });
      expect(index.plan()).toBe(first);
    });

    it.each([
      { name: 'a new job', change: (index: JobIndex) => index.put(queued(3)) },
      { name: 'a state change', change: (index: JobIndex) => index.put(start(queued(1))) },
      { name: 'a cancel request', change: (index: JobIndex) => index.put({ ...queued(2), cancelRequested: true }) },
      { name: 'a job going final', change: (index: JobIndex) => index.put(transitionJob(queued(2), { state: 'failed' }, T1)) },
      { name: 'a removal', change: (index: JobIndex) => index.remove(`acme.${id(2)}`) },
    ])('is recomputed after $name', ({ change }) => {
      const index = new JobIndex({ global: 1, perTenant: 1 });
      index.put(queued(1));
      index.put(queued(2));
      const first = index.plan();
      change(index);
      expect(index.plan()).not.toBe(first);
    });

    it('counts starting and running jobs as active, queued ones as waiting', () => {
      const index = new JobIndex({ global: 3, perTenant: 2 });
      index.put(start(queued(1)));
      index.put(run(start(queued(2))));
      index.put(queued(3));
      index.put(queued(4, 'beta'));
      index.put(queued(5, 'beta'));
      const plan = index.plan();
      expect([...plan.admitted]).toEqual([id(4)]);
      expect([...plan.positions.entries()]).toEqual([
        [id(3), 0],
        [id(5), 1],
      ]);
    });
  });

  /** Five queued jobs with global limit 2: ids 1 and 2 may start, 3, 4, 5 wait at 0, 1, 2. */
  function fiveQueued(recorded: Array<number | null>): JobIndex {
    const index = new JobIndex({ global: 2, perTenant: 10 });
    // Put out of order: the answers are still front of the line first.
    for (const n of [5, 3, 1, 4, 2]) index.put(queued(n, 'acme', recorded[n - 1] ?? null));
    return index;
  }

  describe('admissible(limit)', () => {
    it.each([
      { name: 'the two the limit allows', limit: 10, expected: [1, 2] },
      { name: 'capped at the limit', limit: 1, expected: [1] },
    ])('$name → $expected', ({ limit, expected }) => {
      expect(fiveQueued([null, null, 0, 1, 2]).admissible(limit)).toEqual(expected.map((n) => `acme.${id(n)}`));
    });

    it('none while every slot is taken', () => {
      const index = new JobIndex({ global: 1, perTenant: 10 });
      index.put(run(start(queued(9))));
      index.put(queued(1));
      expect(index.admissible(10)).toEqual([]);
    });
  });

  describe('misplaced(limit)', () => {
    it.each([
      { name: 'nothing recorded', recorded: [null, null, null, null, null], limit: 10, expected: [3, 4, 5] },
      { name: 'waiting places right', recorded: [null, null, 0, 1, 2], limit: 10, expected: [] },
      { name: 'one place wrong', recorded: [null, null, 0, 2, 2], limit: 10, expected: [4] },
      { name: 'admitted jobs are not misplaced, whatever they show', recorded: [0, 7, 0, 1, 2], limit: 10, expected: [] },
      { name: 'capped at the limit, front first', recorded: [null, null, 9, 9, 9], limit: 2, expected: [3, 4] },
    ])('$name → $expected', ({ recorded, limit, expected }) => {
      expect(fiveQueued(recorded).misplaced(limit)).toEqual(expected.map((n) => `acme.${id(n)}`));
    });

    it('ignores active jobs and includes a cancelled-but-queued job that still shows a place', () => {
      const index = new JobIndex({ global: 1, perTenant: 10 });
      index.put(run(start(queued(9))));
      index.put({ ...queued(1, 'acme', 0), cancelRequested: true });
      index.put(queued(2, 'acme', 0));
      index.put({ ...queued(3, 'beta', null), cancelRequested: true });
      expect(index.misplaced(10)).toEqual([key(queued(1))]);
    });
  });

  describe('positionOf(job)', () => {
    it('a waiting job with no place yet gets the planned one', () => {
      const index = fiveQueued([null, null, null, null, null]);
      expect(index.positionOf(queued(4))).toBe(1);
    });

    it('a recorded place is kept (it can only overstate the wait) until the sweep picks the job', () => {
      const index = fiveQueued([null, null, 0, 5, 2]);
      const fourth = queued(4, 'acme', 5);
      expect(index.positionOf(fourth)).toBe(5);
      expect(index.misplaced(10)).toEqual([key(fourth)]);
      // Reading does not use the mark up: a write that lost its race is tried again.
      expect(index.positionOf(fourth)).toBe(1);
      expect(index.positionOf(fourth)).toBe(1);
      // Its record now holds the planned place: the pick is done, and the recorded place is kept again.
      index.put({ ...fourth, queuePosition: 1 });
      expect(index.misplaced(10)).toEqual([]);
      expect(index.positionOf({ ...fourth, queuePosition: 4 })).toBe(4);
    });

    it('an admitted job has no place in line', () => {
      const index = fiveQueued([3, null, 0, 1, 2]);
      expect(index.positionOf(queued(1, 'acme', 3))).toBeNull();
    });

    it('each admission moves the line up by one without rewriting every waiting job', () => {
      // 1 running (limit 1), 100 waiting with their places recorded.
      const index = new JobIndex({ global: 1, perTenant: 100 });
      const first = run(start(queued(1)));
      index.put(first);
      for (let n = 2; n <= 101; n += 1) index.put(queued(n, 'acme', n - 2));
      // The running job ends and the front one starts: 99 places change, none is rewritten unasked.
      index.put(transitionJob(first, { state: 'succeeded' }, T1));
      index.put(start(queued(2)));
      const keep = Array.from({ length: 99 }, (_, offset) => queued(offset + 3, 'acme', offset + 1));
      expect(keep.map((job) => index.positionOf(job))).toEqual(keep.map((job) => job.queuePosition));
      expect(index.misplaced(20)).toHaveLength(20);
    });
  });
});
