import type { Job, JobErrorReport, JobExecutor, JobProgress, LogEntry } from '@ferry/contracts';
import type { Pipeline } from '@ferry/pipelines';

/**
 * What the controller asks an executor to start: the job's current attempt (a local process), or
 * the whole job (an executor that `retriesAttempts`, a Kubernetes Job). The executor builds the
 * runner's launch from it (`buildRunnerLaunch`).
 */
export interface AttemptLaunch {
  readonly job: Job;
  /** The catalog entry the job runs, as the controller resolved it. */
  readonly pipeline: Pipeline;
}

/** What an executor knows of a job's latest attempt (level-based: a snapshot, not an event). */
export type AttemptObservation =
  | { readonly phase: 'absent' }
  /** Created but not running yet (scheduling, pulling an image, …) since `since`; `reason` says why. */
  | { readonly phase: 'pending'; readonly attempt: number; readonly since: Date; readonly reason: string | null; readonly message: string | null }
  | { readonly phase: 'running'; readonly attempt: number; readonly startedAt: Date; readonly stopping: boolean }
  | {
      readonly phase: 'exited';
      readonly attempt: number;
      /** `null` when a signal ended it. */
      readonly exitCode: number | null;
      readonly signal: string | null;
      readonly finishedAt: Date;
      /** The last `::ferry:error` the attempt printed, if any: why it failed, in its own words. */
      readonly error: JobErrorReport | undefined;
    }
  /**
   * The executor ran the job to an end by its own rules — retries and the deadline included (a
   * Kubernetes Job's conditions). Only executors that `retriesAttempts` report it.
   */
  | {
      readonly phase: 'finished';
      readonly attempt: number;
      readonly outcome: 'succeeded' | 'failed';
      readonly reason: string | null;
      readonly message: string | null;
      readonly finishedAt: Date;
    };

/** Where an executor reports what it sees. */
export interface ExecutorSink {
  /** Something about this job's attempt changed: reconcile it. */
  changed(tenant: string, jobId: string): void;
  /** A `::ferry:progress` line. */
  progress(tenant: string, jobId: string, attempt: number, progress: JobProgress): void;
  /** A log line, in order; an attempt is observed `exited` only after all its lines are stored. */
  log(tenant: string, jobId: string, entry: LogEntry, sequence: number): Promise<void>;
}

/**
 * Runs job attempts somewhere (a local process, a Kubernetes Job) and reports on them. Every
 * method is idempotent: the reconciler may call `start` or `stop` again after any crash.
 */
export interface Executor {
  readonly kind: 'local' | 'kubernetes';
  /** The name this executor writes into `job.executor.name`, identifying who owns an attempt. */
  readonly name: string;
  /**
   * False: each attempt is started by the controller, which decides retries and deadlines (local).
   * True: one start runs the whole job — the executor retries attempts, enforces the deadline and
   * reports `pending`, `running` and `finished` (a Kubernetes Job with `backoffLimit`).
   */
  readonly retriesAttempts: boolean;
  /** The `executor` field of a job it starts: the local process owner, or the Job's name and namespace. */
  describe(tenant: string, jobId: string): JobExecutor;
  start(launch: AttemptLaunch): Promise<void>;
  /** What the executor sees of the job's latest attempt: a read, starting no timer and sending no request. */
  observe(tenant: string, jobId: string): AttemptObservation;
  /**
   * Looks for what an attempt this executor has no memory of left behind — its controller died, or
   * this one stepped down, between the attempt's end and the record of it — so that `observe`
   * reports the attempt as exited instead of absent. Executors whose view outlives the controller
   * (a Kubernetes Job's status) need none.
   */
  recover?(tenant: string, jobId: string, attempt: number): Promise<void>;
  /** Asks the attempt to stop (SIGTERM), then forces it after the grace period. */
  stop(tenant: string, jobId: string): Promise<void>;
  /**
   * Ferry recorded the job's final state: let go of it. Drops what the executor keeps of the job;
   * a Kubernetes Job is handed to the TTL controller (one PATCH, sent only while its cache lacks it).
   * Called on every reconcile of a final job, so it must cost nothing the second time.
   */
  release(tenant: string, jobId: string): void;
  /** Stops every attempt (shutdown). */
  close(): Promise<void>;
}
