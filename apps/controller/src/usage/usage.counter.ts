import type { Job, TenantUsage } from '@ferry/contracts';
import { encodeJob } from '@ferry/nats';

interface Counted {
  readonly tenant: string;
  readonly bytes: number;
}

interface Totals {
  jobs: number;
  bytes: number;
}

/** The bytes a record takes in the jobs bucket (as the job store encodes it) and its result. */
export function storedBytes(job: Job): number {
  return encodeJob(job).byteLength + (job.result?.bytes ?? 0);
}

/**
 * Each tenant's retained jobs and the bytes of their records and results, counted from the
 * records the reconciler reads: every change of every record, its removal included, passes
 * through a reconcile. Counts are partial until each key of the first full listing has been read;
 * until then `takeChanged` hands out nothing, so a new leader never publishes less than the truth.
 */
export class UsageCounter {
  readonly #counted = new Map<string, Counted>();
  readonly #totals = new Map<string, Totals>();
  readonly #changed = new Set<string>();
  /** Keys read before the first listing arrived. */
  #readEarly: Set<string> | undefined = new Set();
  /** Keys of the first listing not read yet; `undefined` until it arrives. */
  #unread: Set<string> | undefined;

  /** What a reconcile read for `key`: the record, or `undefined` when it is gone. */
  observe(key: string, job: Job | undefined): void {
    if (this.#unread !== undefined) this.#unread.delete(key);
    else this.#readEarly?.add(key);
    const before = this.#counted.get(key);
    const after = job === undefined ? undefined : { tenant: job.tenant, bytes: storedBytes(job) };
    if (after === undefined) this.#counted.delete(key);
    else this.#counted.set(key, after);
    if (before?.bytes === after?.bytes) return;
    if (before !== undefined) this.add(before.tenant, -1, -before.bytes);
    if (after !== undefined) this.add(after.tenant, 1, after.bytes);
  }

  /** The keys of the first full listing (later listings change nothing here). */
  listed(keys: readonly string[]): void {
    if (this.#unread !== undefined) return;
    const early = this.#readEarly ?? new Set<string>();
    this.#unread = new Set(keys.filter((key) => !early.has(key)));
    this.#readEarly = undefined;
  }

  get complete(): boolean {
    return this.#unread !== undefined && this.#unread.size === 0;
  }

  /** The usage of every tenant whose counts moved since the last call; nothing while incomplete. */
  takeChanged(now: Date): [string, TenantUsage][] {
    if (!this.complete) return [];
    const changed = [...this.#changed].map((tenant): [string, TenantUsage] => {
      const totals = this.#totals.get(tenant) ?? { jobs: 0, bytes: 0 };
      return [tenant, { jobs: totals.jobs, bytes: totals.bytes, countedAt: now.toISOString() }];
    });
    this.#changed.clear();
    return changed;
  }

  /** Marks tenants changed again (their publication failed). */
  restore(tenants: readonly string[]): void {
    for (const tenant of tenants) this.#changed.add(tenant);
  }

  private add(tenant: string, jobs: number, bytes: number): void {
    const totals = this.#totals.get(tenant) ?? { jobs: 0, bytes: 0 };
    totals.jobs += jobs;
    totals.bytes += bytes;
    if (totals.jobs === 0) this.#totals.delete(tenant);
    else this.#totals.set(tenant, totals);
    this.#changed.add(tenant);
  }
}

