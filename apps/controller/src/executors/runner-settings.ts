import { RUNNER_ENV } from '@ferry/contracts';
import type { RunnerLaunchSettings } from '@ferry/executor';
import type { ControllerEnv } from '../config/controller.config.js';

/** Where every runner uploads its result, and the secret its upload token is signed with. */
export function runnerLaunchSettings(config: ControllerEnv): RunnerLaunchSettings {
  return { gatewayUrl: config.FERRY_GATEWAY_URL, resultSecret: config.FERRY_RESULT_SECRET };
}

/** The source policy every runner enforces (docs/architecture.md §5), as the runner's environment. */
export function sourcePolicyEnv(config: ControllerEnv): Record<string, string> {
  return {
    [RUNNER_ENV.allowLoopback]: config.FERRY_SOURCE_ALLOW_LOOPBACK,
    [RUNNER_ENV.allowCidrs]: config.FERRY_SOURCE_ALLOW_CIDRS,
  };
}

/** The named variables of this process that are set, to hand on to runners. */
export function passThrough(names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name] ?? '']])));
}
