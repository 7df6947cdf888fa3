import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { CURRENT_ATTEMPT, ExitCode, RUNNER_ENV, type Job } from '@ferry/contracts';
import { buildRunnerLaunch, type RunnerLaunchSettings } from '@ferry/executor';
import type { Pipeline } from '@ferry/pipelines';
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
  const env: V1EnvVar[] = Object.entries({ ...settings.runnerEnv, ...launch.env, [RUNNER_ENV.tmpDir]: '/tmp' }).map(([name, value]) => ({ name, value }));
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
              ...(entry.resources === undefined ? {} : { resources: { ...entry.resources } }),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: {} }],
        },
      },
    },
  };
}
