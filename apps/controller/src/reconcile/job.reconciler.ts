import {
  ErrorCode,
  FerryError,
  isFerryError,
  isFinalState,
  parseJobKey,
  transitionJob,
  type Job,
  type JobEvent,
} from '@ferry/contracts';
import type { Executor } from '@ferry/executor';
import type { JobEventStream, JobStore, StoredJob } from '@ferry/nats';
import type { Catalog } from '@ferry/pipelines';
import type { JobIndex } from '../scheduling/job.index.js';
import type { Decision } from './decision.js';
import { decide } from './job.decider.js';
import type { UsageCounter } from '../usage/usage.counter.js';
import type { ProgressBuffer } from './progress.buffer.js';

export interface ReconcilerSettings {
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Finished records older than this are purged. */
  readonly retentionMs: number;
}

export interface Requeue {
  add(key: string): void;
  addAfter(key: string, delayMs: number): void;
}

export interface ReconcilerLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** What the reconciler reads and writes through: small ports, so a spec can give it fakes. */
export interface ReconcilerPorts {
  readonly jobs: Pick<JobStore, 'get' | 'replace' | 'purge'>;
  readonly events: Pick<JobEventStream, 'publish'>;
  readonly executor: Executor;
  readonly catalog: Pick<Catalog, 'get'>;
  readonly index: JobIndex;
  readonly queue: Requeue;
  readonly progress: Pick<ProgressBuffer, 'take' | 'restore'>;
  /** Told what each reconcile read, so each tenant's usage follows its records. */
  readonly usage: Pick<UsageCounter, 'observe'>;
  readonly logger: ReconcilerLogger;
  readonly clock?: () => Date;
}

/**
 * `reconcile(key)`: read the record, ask the executor what it sees, let the pure `decide` name the
 * next step, carry it out. Every write is a single-shot compare-and-set on the revision that was
 * read; if the record moved meanwhile, the key is simply reconciled again from the new record.
 * It is the controller's one writer of records (progress included), run by the keyed queue.
 */
export class JobReconciler {
  private readonly clock: () => Date;

  constructor(
    private readonly ports: ReconcilerPorts,
    private readonly settings: ReconcilerSettings,
  ) {
    this.clock = ports.clock ?? (() => new Date());
  }

  async reconcile(key: string): Promise<void> {
    const parsed = parseJobKey(key);
    if (parsed === undefined) {
      // Counted as nothing, so a key no reconcile can read never holds usage back (see UsageCounter).
      this.ports.usage.observe(key, undefined);
      throw new FerryError(ErrorCode.MalformedMessage, `not a job key: ${key}`);
    }
    const stored = await this.readRecord(key, parsed.tenant, parsed.jobId);
    this.ports.usage.observe(key, stored?.job);
    if (stored === undefined) {
      this.ports.index.remove(key);
      this.ports.executor.release(parsed.tenant, parsed.jobId);
      return;
    }
    this.ports.index.put(stored.job);
    if (stored.job.state === 'queued' && stored.job.updatedAt === stored.job.createdAt) {
      // The submission itself published nothing (one round trip at intake): its first event is ours.
      // The message id is the record's revision, so a redelivered submission is announced once.
      await this.ports.events.publish('state', stored.job, stored.revision, this.clock());
    }
    const current = await this.writeProgress(key, stored);
    if (current === undefined) return;
    await this.recoverAttempt(current.job);
    const now = this.clock();
    const decision = this.decideFor(current.job, now);
    await this.apply(key, current, decision, now);
  }

  /** The record; one that cannot be decoded is counted as nothing before the error goes on (retried). */
  private async readRecord(key: string, tenant: string, jobId: string): Promise<StoredJob | undefined> {
    try {
      return await this.ports.jobs.get(tenant, jobId);
    } catch (error) {
      if (isFerryError(error, ErrorCode.MalformedMessage)) this.ports.usage.observe(key, undefined);
      throw error;
    }
  }

  /**
   * The latest progress the attempt reported, into the record with its event, fenced to that
   * attempt (a late line of an old attempt changes nothing). It lands before any decision, so a
   * final record keeps the last value. `undefined` when the record moved: the key runs again.
   */
  private async writeProgress(key: string, stored: StoredJob): Promise<StoredJob | undefined> {
    const pending = this.ports.progress.take(key);
    const { job } = stored;
    if (pending === undefined || pending.attempt !== job.attempt || (job.state !== 'starting' && job.state !== 'running')) return stored;
    const written = await this.write(key, stored, { ...job, progress: pending.progress, updatedAt: this.clock().toISOString() }, 'progress');
    if (written === undefined) this.ports.progress.restore(key, pending);
    return written;
  }

  /** An attempt in the record that the executor knows nothing of may have left an exit record. */
  private async recoverAttempt(job: Job): Promise<void> {
    if (this.ports.executor.recover === undefined || (job.state !== 'starting' && job.state !== 'running')) return;
    if (this.ports.executor.observe(job.tenant, job.id).phase !== 'absent') return;
    await this.ports.executor.recover(job.tenant, job.id, job.attempt);
  }

  private decideFor(job: Job, now: Date): Decision {
    return decide({
      job,
      observation: this.ports.executor.observe(job.tenant, job.id),
      now,
      executor: this.ports.executor.describe(job.tenant, job.id),
      retriesAttempts: this.ports.executor.retriesAttempts,
      admitted: this.ports.index.plan().admitted.has(job.id),
      queuePosition: this.ports.index.positionOf(job),
      pipelineKnown: this.ports.catalog.get(job.pipeline) !== undefined,
      retryBaseMs: this.settings.retryBaseMs,
      retryMaxMs: this.settings.retryMaxMs,
      retentionMs: this.settings.retentionMs,
    });
  }

  private async apply(key: string, stored: StoredJob, decision: Decision, now: Date): Promise<void> {
    const { job } = stored;
    switch (decision.kind) {
      case 'none':
        if (decision.requeueAfterMs !== undefined) this.ports.queue.addAfter(key, decision.requeueAfterMs);
        return;
      case 'finished':
      case 'purge':
        this.ports.executor.release(job.tenant, job.id);
        this.ports.index.remove(key);
        if (decision.kind === 'purge') {
          await this.ports.jobs.purge(job.tenant, job.id);
          this.ports.logger.info({ job: key }, 'purged after retention');
        }
        return;
      case 'start':
        return this.launch(job);
      case 'stop':
        await this.ports.executor.stop(job.tenant, job.id);
        this.ports.queue.addAfter(key, decision.requeueAfterMs);
        return;
      case 'annotate': {
        const next: Job = { ...job, ...decision.fields, updatedAt: now.toISOString() };
        if ((await this.write(key, stored, next)) !== undefined) this.ports.queue.addAfter(key, decision.requeueAfterMs ?? 0);
        return;
      }
      case 'transition': {
        const moved = transitionJob(job, decision.change, now);
        const next: Job = {
          ...moved,
          ...(decision.executor === undefined ? {} : { executor: decision.executor }),
          // A new attempt starts afresh: the last one's progress and any result it uploaded are void.
          ...(decision.change.state === 'starting' ? { progress: null, result: null } : {}),
        };
        if ((await this.write(key, stored, next)) === undefined) return;
        this.ports.logger.info({ job: key, state: next.state, attempt: next.attempt, reason: next.reason }, `job ${next.state}`);
        if (decision.then === 'start') await this.launch(next);
        if (isFinalState(next.state)) this.ports.executor.release(next.tenant, next.id);
        // Take the next step at once (e.g. starting → running) rather than on the stream's echo.
        this.ports.queue.add(key);
        return;
      }
    }
  }

  /**
   * Compare-and-set from the revision read; publishes the change as an event of `type`. `undefined`
   * when the record moved (the key is queued again to run from the new record).
   */
  private async write(key: string, stored: StoredJob, next: Job, type: JobEvent['type'] = 'state'): Promise<StoredJob | undefined> {
    const revision = await this.ports.jobs.replace(stored, next);
    if (revision === undefined) {
      this.ports.queue.add(key);
      return undefined;
    }
    this.ports.index.put(next);
    await this.ports.events.publish(type, next, revision, this.clock());
    return { job: next, revision };
  }

  private async launch(job: Job): Promise<void> {
    const pipeline = this.ports.catalog.get(job.pipeline);
    if (pipeline === undefined) throw new FerryError(ErrorCode.Conflict, `pipeline ${job.pipeline} vanished from the catalog`);
    await this.ports.executor.start({ job, pipeline });
  }
}
