import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  FerryError,
  IDEMPOTENCY_KEY_PATTERN,
  LIST_LIMIT,
  canonicalJson,
  createQueuedJob,
  isFinalState,
  isJobId,
  newJobId,
  type CreateJobDto,
  type Job,
  type ListJobsQuery,
} from '@ferry/contracts';
import { resolveSubmission, type Catalog } from '@ferry/pipelines';
import { NatsLink } from '../nats/nats-link.js';

export const CATALOG = Symbol('CATALOG');
export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;

export interface Submitted {
  readonly job: Job;
  /** False when an `Idempotency-Key` named a job that already existed. */
  readonly created: boolean;
}

export interface JobPage {
  readonly items: Job[];
  readonly nextCursor: string | null;
}

/** Records read at once while listing: enough to hide KV latency, few enough not to flood it. */
const LIST_READ_BATCH = 32;

/** Submissions, reads and cancel requests of jobs. Holds no job state: every answer comes from NATS. */
@Injectable()
export class JobsService {
  constructor(
    private readonly nats: NatsLink,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Records a job; the KV create *is* the submission (the controller consumes the bucket's stream),
   * so the record is durable and the controller will see it before this returns. With an
   * idempotency key, the key is claimed first (create-only), naming the job id, so every retry —
   * even one that follows a crash between the claim and the record — converges on one job.
   */
  async submit(tenant: string, body: CreateJobDto, idempotencyKey: string | undefined): Promise<Submitted> {
    const submission = resolveSubmission(body, this.catalog);
    const stores = this.nats.stores();
    const now = this.clock();
    let jobId = newJobId(now.getTime());
    let created = true;
    if (idempotencyKey !== undefined) {
      if (!IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
        throw new FerryError(ErrorCode.InvalidRequest, 'Idempotency-Key must be 1 to 255 visible ASCII characters');
      }
      const bodySha256 = createHash('sha256').update(canonicalJson(body)).digest('hex');
      const claim = await stores.idempotency.claim(tenant, idempotencyKey, { jobId, bodySha256, createdAt: now.toISOString() });
      if (!claim.claimed) {
        if (claim.existing.bodySha256 !== bodySha256) {
          throw new FerryError(ErrorCode.IdempotencyMismatch, 'this Idempotency-Key was used with another body');
        }
        jobId = claim.existing.jobId;
        created = false;
        const existing = await stores.jobs.get(tenant, jobId);
        if (existing !== undefined) return { job: existing.job, created: false };
      }
    }
    const job = createQueuedJob({ id: jobId, tenant, now, ...submission });
    const stored = await stores.jobs.create(job);
    if (stored !== undefined) return { job, created };
    // Lost a create race for an idempotent job id: the winner's record is the job.
    return { job: (await stores.jobs.require(tenant, jobId)).job, created: false };
  }

  async get(tenant: string, jobId: string): Promise<Job> {
    if (!isJobId(jobId)) throw new FerryError(ErrorCode.NotFound, `job ${jobId} not found`);
    return (await this.nats.stores().jobs.require(tenant, jobId)).job;
  }

  /** Newest first; reads records in batches until a page (plus one, to know if more follow) is full. */
  async list(tenant: string, query: ListJobsQuery, matches: (job: Job) => boolean): Promise<JobPage> {
    const limit = query.limit ?? LIST_LIMIT.fallback;
    const stores = this.nats.stores();
    const ids = (await stores.jobs.listIds(tenant)).filter((id) => query.cursor === undefined || id < query.cursor);
    const items: Job[] = [];
    for (let start = 0; start < ids.length && items.length <= limit; start += LIST_READ_BATCH) {
      const batch = await Promise.all(ids.slice(start, start + LIST_READ_BATCH).map((id) => stores.jobs.get(tenant, id)));
      for (const stored of batch) if (stored !== undefined && matches(stored.job)) items.push(stored.job);
    }
    const page = items.slice(0, limit);
    return { items: page, nextCursor: items.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  /** Marks the job for cancellation; the controller converges it (stops the attempt, records `cancelled`). */
  async requestCancel(tenant: string, jobId: string): Promise<Job> {
    if (!isJobId(jobId)) throw new FerryError(ErrorCode.NotFound, `job ${jobId} not found`);
    const stores = this.nats.stores();
    const updated = await stores.jobs.update(tenant, jobId, (job) => {
      if (isFinalState(job.state)) throw new FerryError(ErrorCode.Conflict, `job ${jobId} is already ${job.state}`);
      if (job.cancelRequested) return undefined;
      return { ...job, cancelRequested: true, updatedAt: this.clock().toISOString() };
    });
    if (updated.changed) await stores.events.publish('state', updated.job, updated.revision, this.clock());
    return updated.job;
  }
}
