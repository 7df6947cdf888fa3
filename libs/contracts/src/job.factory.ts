import type { Job, JobSummary } from './job.schema.js';

/** What a client asked for, checked against the catalog: every value present and within bounds. */
export interface JobSubmission {
  readonly pipeline: string;
  readonly params: Record<string, unknown>;
  readonly labels: Record<string, string>;
  readonly maxAttempts: number;
  readonly timeoutSeconds: number;
  readonly startDeadlineSeconds: number;
}

export interface QueuedJobInput extends JobSubmission {
  readonly id: string;
  readonly tenant: string;
  readonly now: Date;
}

/** The record a submission writes: queued, attempt 0 (no attempt has started yet). */
export function createQueuedJob(input: QueuedJobInput): Job {
  const at = input.now.toISOString();
  return {
    id: input.id,
    tenant: input.tenant,
    pipeline: input.pipeline,
    params: input.params,
    labels: input.labels,
    state: 'queued',
    reason: null,
    message: null,
    cancelRequested: false,
    attempt: 0,
    maxAttempts: input.maxAttempts,
    timeoutSeconds: input.timeoutSeconds,
    startDeadlineSeconds: input.startDeadlineSeconds,
    queuePosition: null,
    createdAt: at,
    startedAt: null,
    finishedAt: null,
    updatedAt: at,
    progress: null,
    result: null,
    executor: null,
  };
}

/** The job without its params (see `JobSummarySchema`); a summary stays as it is. */
export function summarize(job: Job | JobSummary): JobSummary {
  if (!('params' in job)) return job;
  const { params: _params, ...summary } = job;
  return summary;
}
