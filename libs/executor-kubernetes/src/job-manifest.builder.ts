import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { CURRENT_ATTEMPT, ExitCode, RUNNER_ENV, type Job } from '@ferry/contracts';
import { buildRunnerLaunch, type RunnerLaunchSettings } from '@ferry/executor';
import type { Pipeline } from '@ferry/pipelines';
// client-node's own quantity parser; its index does not export it.
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import { JOB_CONTAINER, LABELS, MANAGED_BY, jobName } from './kubernetes.labels.js';

export interface JobManifestSettings extends RunnerLaunchSettings {
  readonly namespace: string;
  /** Ferry's image, whose runner runs the built-in pipelines. */
  readonly runnerImage: string;
  readonly runnerCommand: readonly string[];
  readonly serviceAccountName: string;
  /** Environment every job pod gets (source policy, DuckDB limits). */
  readonly runnerEnv: Readonly<Record<string, string>>;
  /** Kueue: create the Job suspended with this queue's label; Kueue admits it. */
  readonly kueueQueueName?: string | undefined;
  /** The uid the built-in runner runs as (the image's non-root user). */
  readonly runnerUid: number;
  /** A job pod's ephemeral-storage request and limit when its pipeline's `resources` name none. */
  readonly ephemeralStorage: { readonly request: string; readonly limit: string };
  /** Extra labels on job pods only (e.g. for a policy or a test agent); Ferry's own labels win. */
  readonly podLabels?: Readonly<Record<string, string>> | undefined;
}

/**
 * The `batch/v1` Job for a job (docs/architecture.md §6), pure: the same record and pipeline give the same object.
 * Kubernetes retries the pods (`backoffLimit = maxAttempts − 1`), enforces the deadline
 * (`activeDeadlineSeconds`), fails at once on the permanent exit code and ignores disruptions.
 * No `ttlSecondsAfterFinished`: the executor sets it once Ferry has recorded the final state.
 * The pods upload for the `current` attempt: they share one template, so none can carry its own
 * number; the gateway accepts an upload only while the job runs without a result, and every new
 * attempt voids the last one's result.
 */
export function buildJobManifest(job: Job, pipeline: Pipeline, settings: JobManifestSettings): V1Job {
  const { entry } = pipeline;
  const labels = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.partOf]: 'ferry',
    [LABELS.component]: 'job',
    [LABELS.jobId]: job.id,
    [LABELS.tenant]: job.tenant,
    [LABELS.pipeline]: job.pipeline,
  };
  const launch = buildRunnerLaunch(job, pipeline, CURRENT_ATTEMPT, settings);
  const builtin = entry.kind !== 'container';
  const disk = podDisk(entry.resources, settings.ephemeralStorage);
  const env: V1EnvVar[] = Object.entries({ ...diskEnv(disk.limit), ...settings.runnerEnv, ...launch.env, [RUNNER_ENV.tmpDir]: '/tmp' }).map(([name, value]) => ({
    name,
    value,
  }));
  const [command, ...args] = launch.spec.argv ?? settings.runnerCommand;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(job.id),
      namespace: settings.namespace,
      labels: { ...labels, ...(settings.kueueQueueName === undefined ? {} : { [LABELS.kueueQueue]: settings.kueueQueueName }) },
      annotations: { 'ferry.dev/created-at': job.createdAt },
    },
    spec: {
      backoffLimit: job.maxAttempts - 1,
      activeDeadlineSeconds: job.timeoutSeconds,
      podReplacementPolicy: 'Failed',
      ...(settings.kueueQueueName === undefined ? {} : { suspend: true }),
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: JOB_CONTAINER, operator: 'In', values: [ExitCode.Permanent] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
        ],
      },
      template: {
        metadata: { labels: { ...settings.podLabels, ...labels } },
        spec: {
          restartPolicy: 'Never',
          serviceAccountName: settings.serviceAccountName,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            ...(builtin ? { runAsUser: settings.runnerUid, runAsGroup: settings.runnerUid } : {}),
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(entry.nodeSelector === undefined ? {} : { nodeSelector: { ...entry.nodeSelector } }),
          ...(entry.tolerations === undefined ? {} : { tolerations: entry.tolerations }),
          containers: [
            {
              name: JOB_CONTAINER,
              image: builtin ? settings.runnerImage : (entry.image ?? settings.runnerImage),
              ...(command === undefined ? {} : { command: [command] }),
              args,
              env,
              resources: {
                requests: { ...entry.resources?.requests, [EPHEMERAL_STORAGE]: disk.request },
                limits: { ...entry.resources?.limits, [EPHEMERAL_STORAGE]: disk.limit },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          // The kubelet evicts the pod once /tmp holds more: DiskLimitExceeded (attempt.observer.ts).
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: disk.limit } }],
        },
      },
    },
  };
}

const EPHEMERAL_STORAGE = 'ephemeral-storage';

/**
 * The pod's disk: the pipeline's own ephemeral-storage request and limit, else the defaults; a
 * default request above a pipeline's lower limit is lowered to it (the API server refuses a request
 * over its limit).
 */
function podDisk(resources: Pipeline['entry']['resources'], defaults: JobManifestSettings['ephemeralStorage']): { request: string; limit: string } {
  const limit = resources?.limits?.[EPHEMERAL_STORAGE] ?? defaults.limit;
  const request = resources?.requests?.[EPHEMERAL_STORAGE] ?? defaults.request;
  const [requestBytes, limitBytes] = [bytesOf(request), bytesOf(limit)];
  const over = requestBytes !== undefined && limitBytes !== undefined && requestBytes > limitBytes;
  return { request: over && resources?.requests?.[EPHEMERAL_STORAGE] === undefined ? limit : request, limit };
}

/** A quantity in bytes; `undefined` for one client-node cannot read as a whole number (`1.5Gi`). */
function bytesOf(quantity: string): number | undefined {
  try {
    const bytes = Number(quantityToScalar(quantity));
    return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The runner's own bounds as shares of the pod's disk limit, so it usually fails naming what grew
 * (`SourceTooLarge`, `DiskLimitExceeded`) before the kubelet evicts the pod: sources half, DuckDB's
 * spill a quarter. The result keeps FERRY_RESULT_MAX_BYTES; past the limit the eviction says
 * `DiskLimitExceeded` too. Nothing for a limit client-node cannot read as whole bytes: the runner's
 * defaults hold then.
 */
function diskEnv(limit: string): Record<string, string> {
  const bytes = bytesOf(limit);
  if (bytes === undefined) return {};
  return { [RUNNER_ENV.sourceMaxBytes]: String(Math.floor(bytes / 2)), [RUNNER_ENV.duckdbTempMaxBytes]: String(Math.floor(bytes / 4)) };
}
