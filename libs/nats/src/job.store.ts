import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { ErrorCode, FerryError, canTransition, decodeWith, jobKey, parseJob, type Job } from '@ferry/contracts';
import { JobListIndex, type JobListEntry } from './job-list.index.js';
import { isNoResults, isWrongLastSequence, toDomainError } from './nats-errors.js';
import type { NatsTopology } from './nats.config.js';
import { kvStreamName, type FerryNats } from './topology.js';

export interface StoredJob {
  readonly job: Job;
  /** The KV revision; the next compare-and-set names it. */
  readonly revision: number;
}

/** Decides the next record from the current one; `undefined` means "leave it as it is". */
export type JobMutation = (current: Job) => Job | undefined;

/** One page of a tenant's jobs, newest first. */
export interface ListRequest {
  /** Start below this index position (a previous page's `nextBefore`); undefined for the newest. */
  readonly before: number | undefined;
  readonly limit: number;
  /** Checked on the index entry, before the record is read: filters on what never changes. */
  readonly entryMatches: (entry: JobListEntry) => boolean;
  /** Checked on the record: filters on what changes (the state). */
  readonly jobMatches: (job: Job) => boolean;
}

export interface ListedPage {
  readonly items: Job[];
  /** Where the next page starts, or null when nothing older is left. */
  readonly nextBefore: number | null;
}

const MAX_CAS_ATTEMPTS = 32;
/**
 * Index entries one list request examines at most. A filter that matches few jobs (a rare state)
 * gets a short page with `nextBefore` set rather than a scan of the tenant's whole history.
 */
const LIST_EXAMINE_BUDGET = 2_000;
/** Records read in one direct get (JetStream answers at most 1,024). */
const RECORD_READ_BATCH = 256;
const encoder = new TextEncoder();

/** A record as the jobs bucket stores it (its size is what a tenant's usage counts). */
export function encodeJob(job: Job): Uint8Array {
  return encoder.encode(JSON.stringify(job));
}

/**
 * Job records in the KV bucket, keyed `<tenant>.<id>`. Creation is create-only and every change is
 * a compare-and-set on the revision read, retried when another writer got there first, so two
 * writers never overwrite each other, each mutation sees the latest record, and no write moves a
 * job except through the transition table.
 */
export class JobStore {
  constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly topology: NatsTopology,
    private readonly index: JobListIndex = new JobListIndex(js, jsm, topology),
  ) {}

  static on(nats: FerryNats): JobStore {
    return new JobStore(nats.jobs, nats.js, nats.jsm, nats.topology);
  }

  /**
   * Writes a new record; returns `undefined` when the key already exists (a create-only race lost).
   * Its list entry is written first, so every record is listed; an entry whose create then fails
   * (or loses the race) names a `createdAt` no record has and is passed over.
   */
  async create(job: Job): Promise<StoredJob | undefined> {
    await this.index.append(job);
    try {
      const revision = await this.kv.create(jobKey(job.tenant, job.id), encodeJob(job));
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
        const revision = await this.kv.update(jobKey(tenant, jobId), encodeJob(next), current.revision);
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
      return await this.kv.update(jobKey(next.tenant, next.id), encodeJob(next), current.revision);
    } catch (error) {
      if (isWrongLastSequence(error)) return undefined;
      throw toDomainError(error);
    }
  }

  /**
   * A page of the tenant's jobs, newest first: index entries are read backward from `before`, and
   * the records of those that pass `entryMatches` are read in one direct get. Creates nothing on
   * the server, and costs what the page costs (at most `LIST_EXAMINE_BUDGET` entries), whatever
   * the tenant's history.
   */
  async list(tenant: string, request: ListRequest): Promise<ListedPage> {
    const items: { job: Job; seq: number }[] = [];
    let before = request.before;
    let examined = 0;
    let exhausted = false;
    while (items.length <= request.limit && !exhausted && examined < LIST_EXAMINE_BUDGET) {
      const want = Math.min(LIST_EXAMINE_BUDGET - examined, (request.limit + 1 - items.length) * (examined === 0 ? 1 : 4));
      const chunk = await this.index.readBefore(tenant, before, want);
      exhausted = chunk.exhausted;
      const candidates = chunk.entries.filter(({ entry }) => request.entryMatches(entry));
      const records = await this.getMany(tenant, candidates.map(({ entry }) => entry.id));
      for (const { seq, entry } of chunk.entries) {
        examined += 1;
        before = seq;
        const job = records.get(entry.id);
        // A record with another createdAt is a later job under an id this entry's create never wrote.
        if (job !== undefined && job.createdAt === entry.createdAt && request.jobMatches(job)) items.push({ job, seq });
        if (items.length > request.limit) break;
      }
      if (chunk.entries.length === 0) {
        // Nothing found this far down (yet not the end): the next page goes on from below the part read.
        before = chunk.below;
        break;
      }
    }
    const page = items.slice(0, request.limit);
    if (items.length > request.limit) return { items: page.map(({ job }) => job), nextBefore: page.at(-1)?.seq ?? null };
    return { items: page.map(({ job }) => job), nextBefore: exhausted || before === undefined ? null : before };
  }

  /** The current records of these jobs (missing ones left out), read without a consumer. */
  async getMany(tenant: string, jobIds: readonly string[]): Promise<Map<string, Job>> {
    const records = new Map<string, Job>();
    const prefix = `$KV.${this.topology.jobsBucket}.${tenant}.`;
    for (let start = 0; start < jobIds.length; start += RECORD_READ_BATCH) {
      const subjects = jobIds.slice(start, start + RECORD_READ_BATCH).map((id) => prefix + id);
      for (const message of await this.readLast(subjects)) {
        if (message.data.length === 0) continue; // a delete or purge marker
        const job = decodeWith(parseJob, message.data, 'job record');
        records.set(job.id, job);
      }
    }
    return records;
  }

  /**
   * Every record key in the bucket (a full resync), read with an ordered consumer on headers only,
   * deleted as soon as the read ends so nothing is left on the server. A key rewritten while the
   * read runs may be missed (history 1: its old message is gone before it is read); the controller
   * sees that write through its durable consumer in any case.
   */
  async listKeys(): Promise<string[]> {
    const keys = new Set<string>();
    const stream = kvStreamName(this.topology.jobsBucket);
    const prefix = `$KV.${this.topology.jobsBucket}.`;
    try {
      // An empty bucket has nothing to deliver: a fetch would only wait out its expiry.
      if ((await this.jsm.streams.info(stream)).state.messages === 0) return [];
      const consumer = await this.js.consumers.get(stream, {
        filter_subjects: `${prefix}>`,
        deliver_policy: DeliverPolicy.LastPerSubject,
        headers_only: true,
      });
      try {
        let caughtUp = false;
        while (!caughtUp) {
          for await (const message of await consumer.fetch({ max_messages: 1024, expires: 5_000 })) {
            const operation = message.headers?.get('KV-Operation');
            if (operation !== 'DEL' && operation !== 'PURGE') keys.add(message.subject.slice(prefix.length));
            // Stop at the last key pending now: a fetch would otherwise wait out its expiry for more.
            caughtUp = message.info.pending === 0;
            if (caughtUp) break;
          }
          // A fetch that came back short (a slow server) is not the end: the consumer says what is left.
          if (!caughtUp) caughtUp = (await consumer.info(false)).num_pending === 0;
        }
      } finally {
        // An ordered consumer outlives its reader on the server for its inactive threshold (5 min): delete it now.
        await consumer.delete().catch(() => undefined);
      }
    } catch (error) {
      throw toDomainError(error);
    }
    return [...keys];
  }

  /** Removes a record and its history (retention). */
  async purge(tenant: string, jobId: string): Promise<void> {
    try {
      await this.kv.purge(jobKey(tenant, jobId));
    } catch (error) {
      throw toDomainError(error);
    }
  }

  private async readLast(subjects: string[]): Promise<StoredMsg[]> {
    const messages: StoredMsg[] = [];
    try {
      const replies = await this.jsm.direct.getLastMessagesFor(kvStreamName(this.topology.jobsBucket), { multi_last: subjects });
      for await (const message of replies) messages.push(message);
    } catch (error) {
      // None of these subjects has a message.
      if (isNoResults(error)) return messages;
      throw toDomainError(error);
    }
    return messages;
  }
}

/**
 * The store is the last gate of the transition table: whatever a mutation computed, a record never
 * changes identity and never moves `(attempt, state)` except by an allowed transition.
 */
export function assertForward(current: Job, next: Job): void {
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
