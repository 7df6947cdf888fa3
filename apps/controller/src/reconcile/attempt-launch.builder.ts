import { RUNNER_ENV, signAttemptToken, type Job, type RunnerSpec } from '@ferry/contracts';
import type { AttemptLaunch } from '@ferry/executor';
import { renderArgv, type Pipeline } from '@ferry/pipelines';

export interface LaunchSettings {
  /** Where runners reach the gateway (its result upload route). */
  readonly gatewayUrl: string;
  /** Shared with the gateway: signs each attempt's result token. */
  readonly resultSecret: string;
}

/** The URL a job attempt uploads its result to; the token makes it valid for that attempt alone. */
export function resultUrl(gatewayUrl: string, job: Pick<Job, 'tenant' | 'id' | 'attempt'>): string {
  return `${gatewayUrl.replace(/\/$/, '')}/internal/v1/results/${job.tenant}/${job.id}/${job.attempt}`;
}

/** Builds what the executor needs to start the job's current attempt. */
export function buildAttemptLaunch(job: Job, pipeline: Pipeline, settings: LaunchSettings): AttemptLaunch {
  const spec: RunnerSpec = {
    id: job.id,
    tenant: job.tenant,
    pipeline: job.pipeline,
    kind: pipeline.entry.kind,
    attempt: job.attempt,
    params: job.params,
    ...(pipeline.entry.kind === 'container' ? { argv: renderArgv(pipeline.entry, job.params) } : {}),
  };
  return {
    tenant: job.tenant,
    jobId: job.id,
    attempt: job.attempt,
    spec,
    env: {
      [RUNNER_ENV.resultUrl]: resultUrl(settings.gatewayUrl, job),
      [RUNNER_ENV.resultToken]: signAttemptToken(settings.resultSecret, job.tenant, job.id, job.attempt),
    },
    job,
  };
}
