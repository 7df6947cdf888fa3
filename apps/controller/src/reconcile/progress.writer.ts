import { jobKey, type JobProgress } from '@ferry/contracts';
import type { JobEventStream, JobStore } from '@ferry/nats';

/**
 * Writes `::ferry:progress` into the record (and a progress event), at most once per interval per
 * job — the latest value wins — so a chatty job cannot flood the bucket. Writes are fenced to the
 * attempt that reported: a late line of an old attempt changes nothing.
 */
export class ProgressWriter {
  readonly #pending = new Map<string, { tenant: string; jobId: string; attempt: number; progress: JobProgress }>();
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly jobs: JobStore,
    private readonly events: JobEventStream,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  report(tenant: string, jobId: string, attempt: number, progress: JobProgress): void {
    const key = jobKey(tenant, jobId);
    this.#pending.set(key, { tenant, jobId, attempt, progress });
    if (this.#timers.has(key)) return;
    this.#timers.set(
      key,
      setTimeout(() => {
        this.#timers.delete(key);
        void this.flush(key).catch(this.onError);
      }, this.intervalMs),
    );
  }

  /** Writes a job's pending progress now (before its final state, so the record keeps the last value). */
  async flushNow(key: string): Promise<void> {
    const timer = this.#timers.get(key);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(key);
    await this.flush(key);
  }

  private async flush(key: string): Promise<void> {
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    if (pending === undefined) return;
    const stored = await this.jobs.update(pending.tenant, pending.jobId, (job) => {
      if (job.attempt !== pending.attempt || (job.state !== 'running' && job.state !== 'starting')) return undefined;
      return { ...job, progress: pending.progress, updatedAt: new Date().toISOString() };
    });
    if (stored.changed) await this.events.publish('progress', stored.job, stored.revision);
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
