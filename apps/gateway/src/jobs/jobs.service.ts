import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  ErrorCode,
  FerryError,
  IDEMPOTENCY_KEY_PATTERN,
  LIST_LIMIT,
  canonicalJson,
  createQueuedJob,
  isFerryError,
  isFinalState,
  isJobId,
  newJobId,
  summarize,
  type CreateJobDto,
  type Job,
  type JobSummary,
  type ListJobsQuery,
} from '@ferry/contracts';
import { resolveSubmission, type Catalog } from '@ferry/pipelines';
import type { IdempotencyStore, JobEventStream, JobStore, ListRequest } from '@ferry/nats';
import { NatsLink } from '../nats/nats-link.js';
import { TenantQuotas } from '../quotas/tenant-quotas.js';

export const CATALOG = Symbol('CATALOG');
export const CLOCK = Symbol('CLOCK');
export type Clock = () => Date;

export interface Submitted {
  readonly job: Job;
  /** False when an `Idempotency-Key` named a job that already existed. */
  readonly created: boolean;
}

export interface JobPage {
  readonly items: (Job | JobSummary)[];
  readonly nextCursor: string | null;
}

export type ListFilter = Pick<ListRequest, 'entryMatches' | 'jobMatches'>;

/** The stores the service works through (`NatsLink` in the gateway; small fakes in its spec). */
export interface JobsStores {
  readonly jobs: Pick<JobStore, 'create' | 'get' | 'require' | 'list' | 'update'>;
  readonly idempotency: Pick<IdempotencyStore, 'claim' | 'find'>;
  readonly events: Pick<JobEventStream, 'publish'>;
}

/** Submissions, reads and cancel requests of jobs. Holds no job state: every answer comes from NATS. */
@Injectable()
export class JobsService {
  constructor(
    @Inject(NatsLink) private readonly nats: { stores(): JobsStores },
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(TenantQuotas) private readonly quotas: Pick<TenantQuotas, 'assertRoomForJob'>,
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
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new FerryError(ErrorCode.InvalidRequest, 'Idempotency-Key must be 1 to 255 visible ASCII characters');
    }
    const bodySha256 = idempotencyKey === undefined ? undefined : createHash('sha256').update(canonicalJson(body)).digest('hex');
    await this.assertRoomForJob(tenant, idempotencyKey, bodySha256);
    if (idempotencyKey !== undefined && bodySha256 !== undefined) {
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

  /**
   * Refuses a new job of a tenant at a quota before anything is written (a claim would take room in
   * a store every tenant shares), but not a retry of a submission that was accepted: a key already
   * claimed with this body goes on to answer with its job.
   */
  private async assertRoomForJob(tenant: string, idempotencyKey: string | undefined, bodySha256: string | undefined): Promise<void> {
    try {
      await this.quotas.assertRoomForJob(tenant);
    } catch (error) {
      if (idempotencyKey === undefined || !isFerryError(error, ErrorCode.QuotaExceeded)) throw error;
      const claimed = await this.nats.stores().idempotency.find(tenant, idempotencyKey);
      if (claimed?.bodySha256 !== bodySha256) throw error;
    }
  }

  async get(tenant: string, jobId: string): Promise<Job> {
    if (!isJobId(jobId)) throw new FerryError(ErrorCode.NotFound, `job ${jobId} not found`);
    return (await this.nats.stores().jobs.require(tenant, jobId)).job;
  }

  /**
   * Newest first, one page read through the tenant's list index (see docs/decisions/0009-list-index.md):
   * the cursor is an index position, and a page may hold fewer than `limit` jobs while more follow.
   */
  async list(tenant: string, query: ListJobsQuery, filter: ListFilter): Promise<JobPage> {
    const page = await this.nats.stores().jobs.list(tenant, {
      before: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: query.limit ?? LIST_LIMIT.fallback,
      ...filter,
    });
    const items = query.include === 'params' ? page.items : page.items.map(summarize);
    return { items, nextCursor: page.nextBefore === null ? null : String(page.nextBefore) };
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
