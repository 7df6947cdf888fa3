import type { KV } from '@nats-io/kv';
import { ErrorCode, FerryError, canTransition, decodeWith, jobKey, parseJob, type Job } from '@ferry/contracts';
import { isWrongLastSequence, toDomainError } from './nats-errors.js';

export interface StoredJob {
  readonly job: Job;
  /** The KV revision; the next compare-and-set names it. */
  readonly revision: number;
}

/** Decides the next record from the current one; `undefined` means "leave it as it is". */
export type JobMutation = (current: Job) => Job | undefined;

const MAX_CAS_ATTEMPTS = 32;
const encoder = new TextEncoder();

/**
 * Job records in the KV bucket, keyed `<tenant>.<id>`. Creation is create-only and every change is
 * a compare-and-set on the revision read, retried when another writer got there first, so two
 * writers never overwrite each other, each mutation sees the latest record, and no write moves a
 * job except through the transition table.
 */
export class JobStore {
  constructor(private readonly kv: KV) {}

  /** Writes a new record; returns `undefined` when the key already exists (a create-only race lost). */
  async create(job: Job): Promise<StoredJob | undefined> {
    try {
      const revision = await this.kv.create(jobKey(job.tenant, job.id), encoder.encode(JSON.stringify(job)));
      return { job, revision };
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw toDomainError(error);
    }
  }

  async get(tenant: string, jobId: string): Promise<StoredJob | undefined> {
    let entry;
    try {
      entry = await this.kv.get(jobKey(tenant, jobId));
    } catch (error) {
      throw toDomainError(error);
    }
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return { job: decodeWith(parseJob, entry.value, 'job record'), revision: entry.revision };
  }

  async require(tenant: string, jobId: string): Promise<StoredJob> {
    const stored = await this.get(tenant, jobId);
    if (stored === undefined) throw new FerryError(ErrorCode.NotFound, `job ${jobId} not found`);
    return stored;
  }

  /**
   * Applies `mutate` with compare-and-set, rereading and retrying when the record moved meanwhile.
   * Returns the record as stored afterwards; `changed` is false when the mutation left it alone.
   */
  async update(tenant: string, jobId: string, mutate: JobMutation): Promise<StoredJob & { changed: boolean }> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt += 1) {
      const current = await this.require(tenant, jobId);
      const next = mutate(current.job);
      if (next === undefined) return { ...current, changed: false };
      assertForward(current.job, next);
      try {
        const revision = await this.kv.update(jobKey(tenant, jobId), encoder.encode(JSON.stringify(next)), current.revision);
        return { job: next, revision, changed: true };
      } catch (error) {
        if (!isWrongLastSequence(error)) throw toDomainError(error);
      }
      // Lost the race: back off a little, with jitter, so contending writers spread out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * (attempt + 1)));
    }
    throw new FerryError(ErrorCode.Unavailable, `job ${jobId} kept changing; retry`, { retryAfterSeconds: 1 });
  }

  /**
   * Writes `next` only if the record is still at `revision` (single-shot compare-and-set, for
   * writers that decided from that revision and must decide again if it moved). Returns the new
   * revision, or `undefined` when the record moved meanwhile.
   */
  async replace(current: StoredJob, next: Job): Promise<number | undefined> {
    assertForward(current.job, next);
    try {
      return await this.kv.update(jobKey(next.tenant, next.id), encoder.encode(JSON.stringify(next)), current.revision);
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw toDomainError(error);
    }
  }

  /** Every record key in the bucket (a full resync). */
  async listKeys(): Promise<string[]> {
    return [...(await this.distinctKeys('>'))];
  }

  /** Removes a record and its history (retention). */
  async purge(tenant: string, jobId: string): Promise<void> {
    try {
      await this.kv.purge(jobKey(tenant, jobId));
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** The ids of a tenant's jobs, newest first (ids are time-sortable). */
  async listIds(tenant: string): Promise<string[]> {
    const keys = await this.distinctKeys(`${tenant}.*`);
    return [...keys].map((key) => key.slice(tenant.length + 1)).sort().reverse();
  }

  /**
   * `kv.keys()` reads the bucket's stream with an ordered consumer until nothing is pending, so a
   * record written while the listing runs is delivered again: the same key can come twice.
   */
  private async distinctKeys(filter: string): Promise<Set<string>> {
    const keys = new Set<string>();
    try {
      for await (const key of await this.kv.keys(filter)) keys.add(key);
    } catch (error) {
      throw toDomainError(error);
    }
    return keys;
  }
}

/**
 * The store is the last gate of the transition table: whatever a mutation computed, a record never
 * changes identity and never moves `(attempt, state)` except by an allowed transition.
 */
function assertForward(current: Job, next: Job): void {
  if (next.id !== current.id || next.tenant !== current.tenant) {
    throw new FerryError(ErrorCode.Conflict, `job ${current.id}: a write may not change the job's id or tenant`);
  }
  const moved = next.state !== current.state || next.attempt !== current.attempt;
  if (moved && !canTransition(current, next)) {
    throw new FerryError(
      ErrorCode.Conflict,
      `job ${current.id} cannot move from ${current.state} (attempt ${current.attempt}) to ${next.state} (attempt ${next.attempt})`,
    );
  }
}
