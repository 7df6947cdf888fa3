import { RUNNER_ENV } from '@ferry/contracts';
import { LocalExecutor } from '@ferry/executor';
import type { Logger } from 'pino';
import { runnerCommand, type ControllerEnv } from '../config/controller.config.js';
import type { ExecutorFactory } from '../controller.runtime.js';
import { passThrough, runnerLaunchSettings, sourcePolicyEnv } from './runner-settings.js';

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
