import { ErrorCode, FerryError, jobKey, type Job } from '@ferry/contracts';
import { assertForward, type JobMutation, type StoredJob } from '../job.store.js';

/**
 * The job store's rules over a map, for unit specs of the code that uses it: `create` is
 * create-only, revisions count up, `replace` from a stale revision loses, and every write passes
 * the same transition check as the real store (`assertForward`). Listing is left to the real store.
 */
export class MemoryJobStore {
  readonly records = new Map<string, StoredJob>();
  readonly purged: string[] = [];
  /** Set to have another writer's record land just before the next create (a lost race). */
  racingCreate: Job | undefined;

  /** Places a record as it is, whatever was there (a spec's setup). */
  put(job: Job): StoredJob {
    const key = jobKey(job.tenant, job.id);
    const stored = { job, revision: (this.records.get(key)?.revision ?? 0) + 1 };
    this.records.set(key, stored);
    return stored;
  }

  create(job: Job): Promise<StoredJob | undefined> {
    const key = jobKey(job.tenant, job.id);
    if (this.racingCreate !== undefined) this.records.set(key, { job: this.racingCreate, revision: 1 });
    if (this.records.has(key)) return Promise.resolve(undefined);
    return Promise.resolve(this.put(job));
  }

  get(tenant: string, jobId: string): Promise<StoredJob | undefined> {
    return Promise.resolve(this.records.get(jobKey(tenant, jobId)));
  }

  async require(tenant: string, jobId: string): Promise<StoredJob> {
    const stored = await this.get(tenant, jobId);
    if (stored === undefined) throw new FerryError(ErrorCode.NotFound, `job ${jobId} not found`);
    return stored;
  }

  async update(tenant: string, jobId: string, mutate: JobMutation): Promise<StoredJob & { changed: boolean }> {
    const current = await this.require(tenant, jobId);
    const next = mutate(current.job);
    if (next === undefined) return { ...current, changed: false };
    assertForward(current.job, next);
    return { ...this.put(next), changed: true };
  }

  replace(current: StoredJob, next: Job): Promise<number | undefined> {
    assertForward(current.job, next);
    if (this.records.get(jobKey(next.tenant, next.id))?.revision !== current.revision) return Promise.resolve(undefined);
    return Promise.resolve(this.put(next).revision);
  }

  /** Listing reads the list index, which only the real store has: a spec that lists uses it. */
  list(): never {
    throw new Error('MemoryJobStore does not list; test listing against the real store');
  }

  purge(tenant: string, jobId: string): Promise<void> {
    this.records.delete(jobKey(tenant, jobId));
    this.purged.push(jobKey(tenant, jobId));
    return Promise.resolve();
  }
}
