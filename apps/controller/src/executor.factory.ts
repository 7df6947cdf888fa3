import { RUNNER_ENV } from '@ferry/contracts';
import { LocalExecutor, type RunnerLaunchSettings } from '@ferry/executor';
import type { Logger } from 'pino';
import { runnerCommand, type ControllerEnv } from './config/controller.config.js';
import type { ExecutorFactory } from './controller.runtime.js';

/**
 * The executor `FERRY_EXECUTOR` names, configured from the environment. The Kubernetes one is
 * imported only when chosen: its client alone takes about 85 MiB, which a local controller never needs.
 */
export async function executorFactory(config: ControllerEnv, instance: string, logger: Logger): Promise<ExecutorFactory> {
  if (config.FERRY_EXECUTOR === 'kubernetes') {
    const { kubernetesExecutorFactory } = await import('./kubernetes-executor.factory.js');
    return kubernetesExecutorFactory(config, logger);
  }
  return (sink) =>
    new LocalExecutor(
      {
        name: `local/${instance}`,
        runnerCommand: runnerCommand(config),
        stopGraceMs: config.FERRY_STOP_GRACE_SECONDS * 1000,
        exitRecordDir: config.FERRY_EXIT_RECORD_DIR,
        launch: runnerLaunchSettings(config),
        baseEnv: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          [RUNNER_ENV.dataDir]: config.FERRY_DATA_DIR,
          ...sourcePolicyEnv(config),
          ...passThrough([RUNNER_ENV.duckdbMemoryLimit, RUNNER_ENV.duckdbThreads, RUNNER_ENV.tmpDir, 'HOME', 'TMPDIR']),
        },
      },
      sink,
    );
}

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
