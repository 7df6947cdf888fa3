import { userInfo } from 'node:os';
import { ConfigError, RUNNER_ENV } from '@ferry/contracts';
import { LocalExecutor } from '@ferry/executor-local';
import type { Catalog } from '@ferry/pipelines';
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
          ...passThrough([RUNNER_ENV.duckdbMemoryLimit, RUNNER_ENV.duckdbThreads, RUNNER_ENV.duckdbTempMaxBytes, RUNNER_ENV.sourceMaxBytes, RUNNER_ENV.tmpDir, 'HOME', 'TMPDIR']),
        },
      },
      sink,
    );
}

/**
 * Whether the local executor may run the catalog's `container` pipelines. Under it a container
 * pipeline is a process of the controller's own user, with no container around it: it can read
 * what that user reads (the result secret, the NATS credentials, other runners' environments in
 * /proc), reach what that user reaches (NATS, the gateway's internal routes) and write other jobs'
 * exit records. So it is refused unless the operator says its programs are trusted, and then said
 * in the log at every start.
 */
export function localContainerPolicy(config: ControllerEnv, catalog: Pick<Catalog, 'namesOf'>, logger: Pick<Logger, 'warn'>): void {
  if (config.FERRY_EXECUTOR !== 'local') return;
  const containers = catalog.namesOf('container');
  if (containers.length === 0) return;
  if (config.FERRY_LOCAL_CONTAINER_PIPELINES !== 'trusted') {
    throw new ConfigError(
      `the catalog has container pipelines (${containers.join(', ')}), which the local executor would run as this controller's user ` +
        `with its secrets and network; run them on Kubernetes, remove them, or set FERRY_LOCAL_CONTAINER_PIPELINES=trusted if their programs are trusted`,
    );
  }
  logger.warn(
    { pipelines: containers, user: userInfo().username },
    "FERRY_LOCAL_CONTAINER_PIPELINES=trusted: container pipelines run as this controller's user, with its secrets, network and files",
  );
}
