import { checkRunnerSpec, RUNNER_ENV, type RunnerSpec } from '@ferry/contracts/runner';
import { errorMessage, permanent, RunnerReason } from './runner.failure.js';
import type { RunnerEnv } from './runner.config.js';

/** The attempt's spec from FERRY_JOB; anything but a well-formed spec is a permanent failure. */
export function readRunnerSpec(env: RunnerEnv): RunnerSpec {
  const raw = env[RUNNER_ENV.job];
  if (raw === undefined || raw.trim() === '') {
    throw permanent(RunnerReason.InvalidSpec, `${RUNNER_ENV.job} is not set: the executor passes the job spec in it as JSON`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw permanent(RunnerReason.InvalidSpec, `${RUNNER_ENV.job} is not JSON: ${errorMessage(error)}`);
  }
  let spec: RunnerSpec;
  try {
    spec = checkRunnerSpec(value);
  } catch (error) {
    throw permanent(RunnerReason.InvalidSpec, `${RUNNER_ENV.job}: ${errorMessage(error)}`);
  }
  if (spec.kind === 'container' && spec.argv === undefined) {
    throw permanent(RunnerReason.InvalidSpec, `${RUNNER_ENV.job}: a container job needs argv`);
  }
  return spec;
}
