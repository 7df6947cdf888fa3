import type { KV } from '@nats-io/kv';
import { ErrorCode, FerryError, decodeWith, jobKey, parseJob, type Job } from '@ferry/contracts';
import { isWrongLastSequence, toDomainError } from './nats-errors.js';

export interface StoredJob {
  readonly job: Job;
  /** The KV revision; the next compare-and-set names it. */
  readonly revision: number;
}

/** Decides the next record from the current one; `undefined` means "leave it as it is". */
export type JobMutation = (current: Job) => Job | undefined;

const MAX_CAS_ATTEMPTS = 16;
const encoder = new TextEncoder();

/**
 * Job records in the KV bucket, keyed `<tenant>.<id>`. Creation is create-only and every change is
 * a compare-and-set on the revision read, retried when another writer got there first, so two
 * writers never overwrite each other and the mutation (which goes through the transition table)
 * always sees the latest record.
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
      try {
        const revision = await this.kv.update(jobKey(tenant, jobId), encoder.encode(JSON.stringify(next)), current.revision);
        return { job: next, revision, changed: true };
      } catch (error) {
        if (!isWrongLastSequence(error)) throw toDomainError(error);
      }
    }
    throw new FerryError(ErrorCode.Unavailable, `job ${jobId} kept changing; retry`, { retryAfterSeconds: 1 });
  }

  /** The ids of a tenant's jobs, newest first (ids are time-sortable). */
  async listIds(tenant: string): Promise<string[]> {
    const ids: string[] = [];
    try {
      for await (const key of await this.kv.keys(`${tenant}.*`)) {
        const jobId = key.slice(tenant.length + 1);
        ids.push(jobId);
      }
    } catch (error) {
      throw toDomainError(error);
    }
    return ids.sort().reverse();
  }
}
