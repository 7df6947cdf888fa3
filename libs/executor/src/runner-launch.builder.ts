import { RUNNER_ENV, resultUploadUrl, signAttemptToken, type Job, type RunnerSpec, type UploadAttempt } from '@ferry/contracts';
import { renderArgv, type Pipeline } from '@ferry/pipelines';

export interface RunnerLaunchSettings {
  /** Where runners reach the gateway (its result upload route). */
  readonly gatewayUrl: string;
  /** Shared with the gateway: signs each attempt's result token. */
  readonly resultSecret: string;
}

/** What a runner is told: its spec, and the environment that carries it with the upload URL and token. */
export interface RunnerLaunch {
  readonly spec: RunnerSpec;
  /** `FERRY_JOB` (the spec as JSON), `FERRY_RESULT_URL` and `FERRY_RESULT_TOKEN`. */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * A runner's launch for one attempt of a job, pure: both executors call it, with the attempt's
 * number (local) or `current` (a Kubernetes Job, whose pods share one template). A `container`
 * entry's command line is rendered from the params here, once.
 */
export function buildRunnerLaunch(job: Job, pipeline: Pipeline, attempt: UploadAttempt, settings: RunnerLaunchSettings): RunnerLaunch {
  const { entry } = pipeline;
  const spec: RunnerSpec = {
    id: job.id,
    tenant: job.tenant,
    pipeline: job.pipeline,
    kind: entry.kind,
    attempt,
    params: job.params,
    ...(entry.kind === 'container' ? { argv: renderArgv(entry, job.params) } : {}),
  };
  return {
    spec,
    env: {
      [RUNNER_ENV.job]: JSON.stringify(spec),
      [RUNNER_ENV.resultUrl]: resultUploadUrl(settings.gatewayUrl, job.tenant, job.id, attempt),
      [RUNNER_ENV.resultToken]: signAttemptToken(settings.resultSecret, job.tenant, job.id, attempt),
    },
  };
}
