import type { V1EnvVar, V1Job } from '@kubernetes/client-node';
import { ExitCode, RUNNER_ENV, signAttemptToken, type Job, type RunnerSpec } from '@ferry/contracts';
import { renderArgv, type Pipeline } from '@ferry/pipelines';
import { JOB_CONTAINER, LABELS, MANAGED_BY, jobName } from './kubernetes.labels.js';

export interface JobManifestSettings {
  readonly namespace: string;
  /** Ferry's image, whose runner runs the built-in pipelines. */
  readonly runnerImage: string;
  readonly runnerCommand: readonly string[];
  readonly serviceAccountName: string;
  /** Where job pods reach the gateway's upload route. */
  readonly gatewayUrl: string;
  readonly resultSecret: string;
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
 * The attempt a Kubernetes job pod uploads for: 0, "the Job's current attempt". Pods of one Job
 * share one template, so no pod can carry its own attempt; the gateway accepts the upload only while
 * the job runs without a result, and every new attempt voids the last one's result.
 */
export const KUBERNETES_UPLOAD_ATTEMPT = 0;

/**
 * The `batch/v1` Job for a job (docs/architecture.md §6), pure: the same record and pipeline give the same object.
 * Kubernetes retries the pods (`backoffLimit = maxAttempts − 1`), enforces the deadline
 * (`activeDeadlineSeconds`), fails at once on the permanent exit code and ignores disruptions.
 * No `ttlSecondsAfterFinished`: the executor sets it once Ferry has recorded the final state.
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
  const spec: RunnerSpec = { id: job.id, tenant: job.tenant, pipeline: job.pipeline, kind: entry.kind, attempt: 0, params: job.params };
  const builtin = entry.kind !== 'container';
  const env: V1EnvVar[] = [
    ...Object.entries(settings.runnerEnv).map(([name, value]) => ({ name, value })),
    { name: RUNNER_ENV.job, value: JSON.stringify(builtin ? spec : { ...spec, argv: renderArgv(entry, job.params) }) },
    { name: RUNNER_ENV.resultUrl, value: `${settings.gatewayUrl.replace(/\/$/, '')}/internal/v1/results/${job.tenant}/${job.id}/${KUBERNETES_UPLOAD_ATTEMPT}` },
    { name: RUNNER_ENV.resultToken, value: signAttemptToken(settings.resultSecret, job.tenant, job.id, KUBERNETES_UPLOAD_ATTEMPT) },
    { name: RUNNER_ENV.tmpDir, value: '/tmp' },
  ];
  const [command, ...args] = builtin ? settings.runnerCommand : renderArgv(entry, job.params);
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
