import { KeyedQueue } from './keyed.queue.js';

/** Lets every pending promise callback run (the queue chains then/finally). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Run {
  readonly key: string;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * A process function whose runs stay open until the test settles them, recording every run and
 * the most runs of one key (and in total) that were ever in flight at once.
 */
function harness(concurrency: number) {
  const runs: Run[] = [];
  const inFlight = new Map<string, number>();
  let total = 0;
  let maxTotal = 0;
  let maxPerKey = 0;
  const errors: Array<[string, unknown]> = [];
  const queue = new KeyedQueue(concurrency, (key, error) => errors.push([key, error]));
  queue.start(
    (key) =>
      new Promise<void>((resolve, reject) => {
        total += 1;
        maxTotal = Math.max(maxTotal, total);
        const count = (inFlight.get(key) ?? 0) + 1;
        inFlight.set(key, count);
        maxPerKey = Math.max(maxPerKey, count);
        const done = (): void => {
          total -= 1;
          inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        };
        runs.push({
          key,
          resolve: () => {
            done();
            resolve();
          },
          reject: (error: Error) => {
            done();
            reject(error);
          },
        });
      }),
  );
  /** The open run of `key` (the latest one). */
  const open = (key: string): Run => {
    const run = runs.filter((candidate) => candidate.key === key).at(-1);
    if (run === undefined) throw new Error(`no run of ${key}`);
    return run;
  };
  return {
    queue,
    runs,
    errors,
    open,
    keys: () => runs.map((run) => run.key),
    stats: () => ({ maxTotal, maxPerKey }),
  };
}

/** Tracks whether a promise has settled, and how. */
function track(promise: Promise<void>): { state: () => 'pending' | 'resolved' | 'rejected'; error: () => unknown } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  let error: unknown;
  promise.then(
    () => (state = 'resolved'),
    (reason: unknown) => {
      state = 'rejected';
      error = reason;
    },
  );
  return { state: () => state, error: () => error };
}

describe('KeyedQueue', () => {
  it('holds keys added before start, once each, and runs them when it starts', async () => {
    const processed: string[] = [];
    const queue = new KeyedQueue(2, () => undefined);
    queue.add('a');
    queue.add('b');
    queue.add('a');
    await Promise.resolve();
    expect(processed).toEqual([]);
    queue.start((key) => Promise.resolve(void processed.push(key)));
    await vi.waitFor(() => expect(processed).toEqual(['a', 'b']));
  });

  it('processes a key once however often it is added while it waits', async () => {
    const h = harness(1);
    h.queue.add('a');
    h.queue.add('b');
    h.queue.add('b');
    h.queue.add('b');
    expect(h.keys()).toEqual(['a']);
    expect(h.queue.size).toBe(2);
    h.open('a').resolve();
    await flush();
    expect(h.keys()).toEqual(['a', 'b']);
    h.open('b').resolve();
    await flush();
    expect(h.keys()).toEqual(['a', 'b']);
    expect(h.queue.size).toBe(0);
  });

  it('never runs a key twice at once: adds during a run cause exactly one more run after it', async () => {
    const h = harness(4);
    h.queue.add('k');
    h.queue.add('k');
    h.queue.add('k');
    expect(h.keys()).toEqual(['k']);
    h.queue.add('other');
    expect(h.keys()).toEqual(['k', 'other']);
    h.open('k').resolve();
    await flush();
    expect(h.keys()).toEqual(['k', 'other', 'k']);
    h.open('k').resolve();
    await flush();
    expect(h.keys()).toEqual(['k', 'other', 'k']);
    expect(h.stats().maxPerKey).toBe(1);
  });

  it('re-runs a key changed during a run that failed', async () => {
    const h = harness(1);
    h.queue.add('k');
    h.queue.add('k');
    h.open('k').reject(new Error('boom'));
    await flush();
    expect(h.keys()).toEqual(['k', 'k']);
    expect(h.errors).toEqual([['k', new Error('boom')]]);
  });

  it.each([1, 2, 3])('runs at most %i keys at once, in FIFO order', async (concurrency) => {
    const h = harness(concurrency);
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    keys.forEach((key) => h.queue.add(key));
    expect(h.keys()).toEqual(keys.slice(0, concurrency));
    for (let done = 0; done < keys.length; done += 1) {
      const run = h.runs[done];
      if (run === undefined) throw new Error('missing run');
      run.resolve();
      await flush();
      expect(h.keys()).toEqual(keys.slice(0, Math.min(keys.length, concurrency + done + 1)));
    }
    expect(h.stats().maxTotal).toBe(concurrency);
    expect(h.queue.size).toBe(0);
  });

  describe('enqueue', () => {
    it('resolves when the run it queued completes', async () => {
      const h = harness(1);
      const done = track(h.queue.enqueue('k'));
      await flush();
      expect(done.state()).toBe('pending');
      h.open('k').resolve();
      await flush();
      expect(done.state()).toBe('resolved');
    });

    it('while the key waits, shares the one run with the other enqueues', async () => {
      const h = harness(1);
      h.queue.add('busy');
      const first = track(h.queue.enqueue('k'));
      const second = track(h.queue.enqueue('k'));
      h.open('busy').resolve();
      await flush();
      expect(h.keys()).toEqual(['busy', 'k']);
      h.open('k').resolve();
      await flush();
      expect([first.state(), second.state()]).toEqual(['resolved', 'resolved']);
      expect(h.keys()).toEqual(['busy', 'k']);
    });

    it('while the key runs, waits for the next run (one that started after it), not the current one', async () => {
      const h = harness(2);
      const before = track(h.queue.enqueue('k'));
      const current = h.open('k');
      // This enqueue comes while that run is already going.
      const during = track(h.queue.enqueue('k'));
      current.resolve();
      await flush();
      expect(before.state()).toBe('resolved');
      expect(during.state()).toBe('pending');
      expect(h.keys()).toEqual(['k', 'k']);
      const next = h.open('k');
      expect(next).not.toBe(current);
      next.resolve();
      await flush();
      expect(during.state()).toBe('resolved');
      expect(h.keys()).toEqual(['k', 'k']);
    });

    it("rejects with that run's error and reports it to onError", async () => {
      const h = harness(1);
      const done = track(h.queue.enqueue('k'));
      const error = new Error('reconcile failed');
      h.open('k').reject(error);
      await flush();
      expect(done.state()).toBe('rejected');
      expect(done.error()).toBe(error);
      expect(h.errors).toEqual([['k', error]]);
    });

    it('a failed run does not settle an enqueue made during it; the rerun does', async () => {
      const h = harness(1);
      const first = track(h.queue.enqueue('k'));
      const second = track(h.queue.enqueue('k'));
      h.open('k').reject(new Error('first'));
      await flush();
      expect(first.state()).toBe('rejected');
      expect(second.state()).toBe('pending');
      h.open('k').resolve();
      await flush();
      expect(second.state()).toBe('resolved');
    });

    it('reports a failure with no one waiting only to onError, and keeps going', async () => {
      const h = harness(1);
      h.queue.add('a');
      h.queue.add('b');
      const error = new Error('nobody waits');
      h.open('a').reject(error);
      await flush();
      expect(h.errors).toEqual([['a', error]]);
      expect(h.keys()).toEqual(['a', 'b']);
    });
  });

  describe('addAfter (fake timers)', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    function timed() {
      const processed: Array<[string, number]> = [];
      const start = Date.now();
      const queue = new KeyedQueue(2, () => undefined);
      queue.start((key) => {
        processed.push([key, Date.now() - start]);
        return Promise.resolve();
      });
      return { queue, processed };
    }

    it('adds the key after the delay, not before', async () => {
      const { queue, processed } = timed();
      queue.addAfter('k', 1000);
      await vi.advanceTimersByTimeAsync(999);
      expect(processed).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(processed).toEqual([['k', 1000]]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([0, -5])('a delay of %i adds at once', async (delay) => {
      const { queue, processed } = timed();
      queue.addAfter('k', delay);
      await vi.advanceTimersByTimeAsync(0);
      expect(processed).toEqual([['k', 0]]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([
      { name: 'earlier after later', delays: [5000, 1000], at: 1000 },
      { name: 'later after earlier', delays: [1000, 5000], at: 1000 },
      { name: 'equal', delays: [2000, 2000], at: 2000 },
      { name: 'three', delays: [3000, 500, 4000], at: 500 },
    ])('keeps the earliest of several delays ($name): one run', async ({ delays, at }) => {
      const { queue, processed } = timed();
      delays.forEach((delay) => queue.addAfter('k', delay));
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(processed).toEqual([['k', at]]);
    });

    it('delays of different keys are independent', async () => {
      const { queue, processed } = timed();
      queue.addAfter('b', 2000);
      queue.addAfter('a', 1000);
      await vi.advanceTimersByTimeAsync(3000);
      expect(processed).toEqual([
        ['a', 1000],
        ['b', 2000],
      ]);
    });

    it('a delayed add after the key was processed runs it again', async () => {
      const { queue, processed } = timed();
      queue.add('k');
      queue.addAfter('k', 1000);
      await vi.advanceTimersByTimeAsync(1000);
      expect(processed).toEqual([
        ['k', 0],
        ['k', 1000],
      ]);
    });

    it('close() stops pending timers and ignores later adds', async () => {
      const { queue, processed } = timed();
      queue.addAfter('a', 1000);
      queue.addAfter('b', 2000);
      expect(vi.getTimerCount()).toBe(2);
      queue.close();
      expect(vi.getTimerCount()).toBe(0);
      queue.add('c');
      queue.addAfter('d', 10);
      await vi.advanceTimersByTimeAsync(5000);
      expect(processed).toEqual([]);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('caps a very long delay at the largest setTimeout value', async () => {
      const { queue, processed } = timed();
      queue.addAfter('k', 30 * 24 * 3600 * 1000);
      await vi.advanceTimersByTimeAsync(2 ** 31 - 2);
      expect(processed).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      // NOTE: the comment in keyed.queue.ts says longer waits "re-arm"; they do not: the key is
      // added after ~24.8 days instead of 30. Harmless for a level-based reconcile (an early look).
      expect(processed).toEqual([['k', 2 ** 31 - 1]]);
    });
  });
});
