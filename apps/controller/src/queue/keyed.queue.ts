/**
 * A keyed work queue in the manner of client-go's workqueue: a key waits at most once, a key is
 * never processed by two workers at once (a change that arrives meanwhile runs it again after),
 * delayed adds wake it later, and `enqueue` resolves when a run that started after it completes.
 * Keys may be added before `start` gives it its worker (those that feed it are built first); they
 * wait until then.
 */
export class KeyedQueue {
  readonly #waiting: string[] = [];
  readonly #queued = new Set<string>();
  readonly #running = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #waiters = new Map<string, Array<{ resolve: () => void; reject: (error: unknown) => void }>>();
  readonly #timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  #workers = 0;
  #closed = false;
  #process: ((key: string) => Promise<void>) | undefined;

  constructor(
    private readonly concurrency: number,
    private readonly onError: (key: string, error: unknown) => void,
  ) {}

  /** Begins running keys through `process`, up to `concurrency` at once. */
  start(process: (key: string) => Promise<void>): void {
    this.#process = process;
    this.pump();
  }

  get size(): number {
    return this.#queued.size + this.#running.size;
  }

  /** Adds the key; the promise settles with the outcome of the next run of it. */
  enqueue(key: string): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('queue closed'));
    const settled = new Promise<void>((resolve, reject) => {
      const waiters = this.#waiters.get(key) ?? [];
      waiters.push({ resolve, reject });
      this.#waiters.set(key, waiters);
    });
    this.add(key);
    return settled;
  }

  /** Adds the key without waiting for its run. */
  add(key: string): void {
    if (this.#closed) return;
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#waiting.push(key);
    this.pump();
  }

  /** Adds the key after `delayMs`, keeping the earliest of several pending delays. */
  addAfter(key: string, delayMs: number): void {
    if (this.#closed) return;
    if (delayMs <= 0) return this.add(key);
    const at = Date.now() + delayMs;
    const pending = this.#timers.get(key);
    if (pending !== undefined && pending.at <= at) return;
    if (pending !== undefined) clearTimeout(pending.timer);
    // setTimeout holds at most ~24.8 days; a longer wait fires then, and a level-based reconcile just looks again.
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, Math.min(delayMs, 2 ** 31 - 1));
    timer.unref();
    this.#timers.set(key, { at, timer });
  }

  /** Stops taking work; runs in progress finish, and every waiter not yet served is rejected. */
  close(): void {
    this.#closed = true;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#waiting.length = 0;
    this.#queued.clear();
    this.#dirty.clear();
    for (const waiters of this.#waiters.values()) waiters.forEach((waiter) => waiter.reject(new Error('queue closed')));
    this.#waiters.clear();
  }

  private pump(): void {
    const process = this.#process;
    if (process === undefined) return;
    while (this.#workers < this.concurrency && this.#waiting.length > 0) {
      const key = this.#waiting.shift();
      if (key === undefined) break;
      this.#queued.delete(key);
      this.#running.add(key);
      this.#workers += 1;
      const waiters = this.#waiters.get(key) ?? [];
      this.#waiters.delete(key);
      void process(key)
        .then(
          () => waiters.forEach((waiter) => waiter.resolve()),
          (error: unknown) => {
            this.onError(key, error);
            waiters.forEach((waiter) => waiter.reject(error));
          },
        )
        .finally(() => {
          this.#running.delete(key);
          this.#workers -= 1;
          if (this.#dirty.delete(key)) this.add(key);
          this.pump();
        });
    }
  }
}
