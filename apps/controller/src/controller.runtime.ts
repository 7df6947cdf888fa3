import { jobKey } from '@ferry/contracts';
import type { Executor, ExecutorSink } from '@ferry/executor';
import type { FerryNats, JobEventStream, JobLogStream, JobStore, UsageStore } from '@ferry/nats';
import type { Catalog } from '@ferry/pipelines';
import type { Logger } from 'pino';
import { IntakeConsumer } from './intake/intake.consumer.js';
import { KeyedQueue } from './queue/keyed.queue.js';
import { JobReconciler, type ReconcilerSettings } from './reconcile/job.reconciler.js';
import { ProgressBuffer } from './reconcile/progress.buffer.js';
import type { ConcurrencyLimits } from './scheduling/admission.js';
import { JobIndex } from './scheduling/job.index.js';
import { UsageCounter } from './usage/usage.counter.js';

/** Builds the executor the controller drives (local processes or Kubernetes Jobs), reporting to `sink`. */
export type ExecutorFactory = (sink: ExecutorSink) => Executor & { ready?(): Promise<void> };

export interface RuntimeSettings extends ReconcilerSettings {
  readonly createExecutor: ExecutorFactory;
  readonly limits: ConcurrencyLimits;
  readonly reconcileConcurrency: number;
  readonly resyncMs: number;
  readonly fullResyncMs: number;
  readonly progressIntervalMs: number;
  readonly ackWaitMs: number;
}

export interface RuntimeStores {
  readonly nats: FerryNats;
  readonly jobs: JobStore;
  readonly events: JobEventStream;
  readonly logs: JobLogStream;
  readonly usage: UsageStore;
}

/** How often queued jobs are checked for a free slot, and how many are started at once. */
const SWEEP_MS = 1000;
const SWEEP_BATCH = 200;
/** Waiting jobs whose recorded place in line is refreshed per second, front of the line first. */
const POSITIONS_PER_SWEEP = 20;
/** How often each tenant's changed usage is written for the gateways' quota checks. */
const USAGE_PUBLISH_MS = 1000;

/**
 * Everything the leading controller runs: intake, the keyed queue with its reconciler, the local
 * executor, periodic resyncs and the admission sweep. Built on `start()` when this process takes
 * the lease and torn down on `stop()` when it loses it or shuts down (its runners stop with it).
 */
export class ControllerRuntime {
  #parts:
    | {
        queue: KeyedQueue;
        executor: Executor;
        intake: IntakeConsumer;
        progress: ProgressBuffer;
        index: JobIndex;
        usage: UsageCounter;
        timers: NodeJS.Timeout[];
      }
    | undefined;
  #kickPending = false;
  /** The usage publication under way, if any. */
  #publishing: Promise<void> | undefined;
  /** Whether this term's first complete count has zeroed the tenants it found no records of. */
  #usageSwept = false;

  constructor(
    private readonly stores: RuntimeStores,
    private readonly catalog: Catalog,
    private readonly settings: RuntimeSettings,
    private readonly logger: Logger,
  ) {}

  get active(): boolean {
    return this.#parts !== undefined;
  }

  async start(): Promise<void> {
    if (this.#parts !== undefined) return;
    const { jobs, events, logs, nats } = this.stores;
    const index = new JobIndex(this.settings.limits);
    const usage = new UsageCounter();
    // The executor and the reconciler feed the queue; the queue runs the reconciler once it is built.
    const queue: KeyedQueue = new KeyedQueue(this.settings.reconcileConcurrency, (key, error) => {
      this.logger.warn({ job: key, err: error }, 'reconcile failed; retrying');
      queue.addAfter(key, 2000);
    });
    const progress = new ProgressBuffer(queue, this.settings.progressIntervalMs);
    const executor = this.settings.createExecutor({
      changed: (tenant, jobId) => queue.add(jobKey(tenant, jobId)),
      progress: (tenant, jobId, attempt, value) => progress.report(tenant, jobId, attempt, value),
      log: (tenant, jobId, entry, sequence) => logs.append(tenant, jobId, entry, `${jobId}:${entry.attempt}:${entry.stream}:${sequence}`),
    });
    // Decisions need the executor's view; one built from watches must have listed first.
    await executor.ready?.();
    const reconciler = new JobReconciler(
      {
        jobs,
        events,
        executor,
        catalog: this.catalog,
        index,
        queue,
        progress,
        usage,
        logger: { info: (fields, message) => this.logger.info(fields, message), warn: (fields, message) => this.logger.warn(fields, message) },
      },
      this.settings,
    );
    queue.start(async (key) => {
      await reconciler.reconcile(key);
      this.kick();
    });
    const intake = new IntakeConsumer(nats.js, nats.topology, (key) => queue.enqueue(key), { ackWaitMs: this.settings.ackWaitMs, retryDelayMs: 2000 }, this.logger);
    const timers = [
      setInterval(() => index.keys().forEach((key) => queue.add(key)), this.settings.resyncMs),
      setInterval(() => void this.fullResync(queue), this.settings.fullResyncMs),
      setInterval(() => this.kick(), SWEEP_MS),
      setInterval(() => index.misplaced(POSITIONS_PER_SWEEP).forEach((key) => queue.add(key)), SWEEP_MS),
      setInterval(() => void this.publishUsage(usage), USAGE_PUBLISH_MS),
    ];
    this.#parts = { queue, executor, intake, progress, index, usage, timers };
    void intake.run();
    await this.fullResync(queue);
    this.logger.info({ executor: executor.name }, 'controller leading: reconciling jobs');
  }

  async stop(): Promise<void> {
    const parts = this.#parts;
    if (parts === undefined) return;
    this.#parts = undefined;
    parts.timers.forEach((timer) => clearInterval(timer));
    parts.intake.stop();
    parts.queue.close();
    parts.progress.clear();
    await this.#publishing;
    this.#usageSwept = false;
    await parts.executor.close();
  }

  /** Queues the jobs that may start now (debounced to one pass per tick). */
  private kick(): void {
    if (this.#kickPending) return;
    this.#kickPending = true;
    setImmediate(() => {
      this.#kickPending = false;
      const parts = this.#parts;
      parts?.index.admissible(SWEEP_BATCH).forEach((key) => parts.queue.add(key));
    });
  }

  /**
   * Writes the usage of the tenants whose counts moved; a failed write is tried again next time.
   * One publication at a time, so an older count never lands after a newer one. The first complete
   * count also zeroes tenants the bucket still lists but no record belongs to any more.
   */
  private publishUsage(usage: UsageCounter): Promise<void> {
    if (this.#publishing !== undefined) return this.#publishing;
    this.#publishing = (async () => {
      if (usage.complete && !this.#usageSwept) {
        usage.restore(await this.stores.usage.tenants());
        this.#usageSwept = true;
      }
      for (const [tenant, counted] of usage.takeChanged(new Date())) {
        try {
          await this.stores.usage.put(tenant, counted);
        } catch (error) {
          usage.restore([tenant]);
          this.logger.warn({ tenant, err: error }, 'usage not written; retrying');
        }
      }
    })()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'usage not published; retrying'))
      .finally(() => {
        this.#publishing = undefined;
      });
    return this.#publishing;
  }

  private async fullResync(queue: KeyedQueue): Promise<void> {
    try {
      const keys = await this.stores.jobs.listKeys();
      this.#parts?.usage.listed(keys);
      for (const key of keys) queue.add(key);
    } catch (error) {
      this.logger.warn({ err: error }, 'full resync failed; the next one retries');
    }
  }
}
