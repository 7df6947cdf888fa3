import type { Job, JobErrorReport, JobExecutor, JobProgress, LogEntry, RunnerSpec } from '@ferry/contracts';

/** One attempt to start: which job, which attempt, and what the attempt is told. */
export interface AttemptLaunch {
  readonly tenant: string;
  readonly jobId: string;
  readonly attempt: number;
  readonly spec: RunnerSpec;
  /** Extra environment for the attempt: the result URL and its per-attempt token, source policy. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The whole record the attempt was launched from. An executor that runs the whole job itself
   * (`retriesAttempts`, a Kubernetes Job) builds its object from the record, not from one attempt.
   */
  readonly job?: Job;
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
  /** Drops what the executor remembers of a finished job. */
  forget(tenant: string, jobId: string): void;
  /** Stops every attempt (shutdown). */
  close(): Promise<void>;
}
