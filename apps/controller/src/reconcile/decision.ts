import type { Job, JobExecutor, StateChange } from '@ferry/contracts';
import type { AttemptObservation } from '@ferry/executor';

export interface DecisionInput {
  readonly job: Job;
  /** What this controller's executor sees of the job's attempt. */
  readonly observation: AttemptObservation;
  readonly now: Date;
  /** This controller's executor, the owner of every attempt it starts. */
  readonly executor: JobExecutor;
  /** For a queued job: may it start now (a slot is free and it is first in line)? */
  readonly admitted: boolean;
  /** For a queued job that waits: its place in the queue (0 = next). */
  readonly queuePosition: number | null;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** The executor retries attempts and enforces the deadline itself (a Kubernetes Job). */
  readonly retriesAttempts: boolean;
  /** The job's pipeline is in this controller's catalog. */
  readonly pipelineKnown: boolean;
  /** A final record is purged this long after it finished. */
  readonly retentionMs: number;
}

/** What to do about a job, decided from its record and what the executor observes. */
export type Decision =
  | { readonly kind: 'none'; readonly requeueAfterMs?: number }
  /** Move the job (through the transition table); then start or stop the attempt. */
  | { readonly kind: 'transition'; readonly change: StateChange; readonly executor?: JobExecutor; readonly then?: 'start'; readonly requeueAfterMs?: number }
  /** Update reason, message and queue position without moving the job. */
  | { readonly kind: 'annotate'; readonly fields: Pick<Job, 'reason' | 'message' | 'queuePosition'>; readonly requeueAfterMs?: number }
  | { readonly kind: 'start' }
  | { readonly kind: 'stop'; readonly requeueAfterMs: number }
  /** A final job nothing runs of: the executor may let go of it (and the index drops it). */
  | { readonly kind: 'finished' }
  /** As `finished`, and the record is past retention: purge it. */
  | { readonly kind: 'purge' };
