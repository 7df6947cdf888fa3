import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, RUNNER_ENV } from '@ferry/contracts';
import { KubernetesExecutor } from '@ferry/executor-kubernetes';
import type { Logger } from 'pino';
import { commandLine, labelMap, type ControllerEnv } from '../config/controller.config.js';
import type { ExecutorFactory } from '../controller.runtime.js';
import { passThrough, runnerLaunchSettings, sourcePolicyEnv } from './runner-settings.js';

/** `FERRY_EXECUTOR=kubernetes`: a `batch/v1` Job per job, in the jobs namespace (docs/architecture.md §6). */
export function kubernetesExecutorFactory(config: ControllerEnv, logger: Logger): ExecutorFactory {
  const namespace = config.FERRY_JOBS_NAMESPACE ?? config.POD_NAMESPACE;
  if (namespace === undefined) throw new ConfigError('FERRY_EXECUTOR=kubernetes needs FERRY_JOBS_NAMESPACE (or POD_NAMESPACE)');
  if (config.FERRY_RUNNER_IMAGE === undefined) throw new ConfigError('FERRY_EXECUTOR=kubernetes needs FERRY_RUNNER_IMAGE');
  const runnerImage = config.FERRY_RUNNER_IMAGE;
  const kubeConfig = new KubeConfig();
  // KUBECONFIG when set, else the in-cluster service account.
  kubeConfig.loadFromDefault();
  return (sink) =>
    new KubernetesExecutor(
      {
        kubeConfig,
        namespace,
        manifest: {
          runnerImage,
          runnerCommand: commandLine('FERRY_RUNNER_CONTAINER_COMMAND', config.FERRY_RUNNER_CONTAINER_COMMAND),
          runnerUid: config.FERRY_RUNNER_UID,
          serviceAccountName: config.FERRY_RUNNER_SERVICE_ACCOUNT,
          ...runnerLaunchSettings(config),
          runnerEnv: { ...sourcePolicyEnv(config), ...passThrough([RUNNER_ENV.duckdbMemoryLimit, RUNNER_ENV.duckdbThreads]) },
          ephemeralStorage: { request: config.FERRY_JOB_EPHEMERAL_STORAGE_REQUEST, limit: config.FERRY_JOB_EPHEMERAL_STORAGE_LIMIT },
          kueueQueueName: config.FERRY_KUEUE_QUEUE_NAME,
          podLabels: labelMap('FERRY_JOB_POD_LABELS', config.FERRY_JOB_POD_LABELS),
        },
        finishedTtlSeconds: config.FERRY_JOB_TTL_SECONDS,
        logDrainMs: config.FERRY_LOG_DRAIN_SECONDS * 1000,
        logger: { warn: (fields, message) => logger.warn(fields, message) },
      },
      sink,
    );
}
