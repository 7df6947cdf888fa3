import { jobKey, type JobProgress } from '@ferry/contracts';

/** A job's latest `::ferry:progress`, and the attempt that reported it. */
export interface PendingProgress {
  readonly attempt: number;
  readonly progress: JobProgress;
}

/**
 * Holds each job's latest reported progress until the reconciler writes it: the reconciler is the
 * controller's one writer of a record (docs/architecture.md §8), so progress reaches the record
 * through the keyed queue like every other change. A report asks for the job's reconcile at most
 * once per interval, so a chatty job costs one write per interval; the latest value wins.
 */
export class ProgressBuffer {
  readonly #pending = new Map<string, PendingProgress>();
  /** Jobs whose reconcile a report has asked for and that has not taken the progress yet. */
  readonly #asked = new Set<string>();

  constructor(
    private readonly queue: { addAfter(key: string, delayMs: number): void },
    private readonly intervalMs: number,
  ) {}

  report(tenant: string, jobId: string, attempt: number, progress: JobProgress): void {
    const key = jobKey(tenant, jobId);
    this.#pending.set(key, { attempt, progress });
    if (this.#asked.has(key)) return;
    this.#asked.add(key);
    this.queue.addAfter(key, this.intervalMs);
  }

  /** Takes the job's pending progress, if any; the next report asks for a reconcile again. */
  take(key: string): PendingProgress | undefined {
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    this.#asked.delete(key);
    return pending;
  }

  /** Hands back progress whose write lost a race, unless a newer report came meanwhile. */
  restore(key: string, pending: PendingProgress): void {
    if (!this.#pending.has(key)) this.#pending.set(key, pending);
  }

  clear(): void {
    this.#pending.clear();
    this.#asked.clear();
  }
}
