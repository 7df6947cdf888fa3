import type { V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import { ExitCode, JobReason, type JobErrorReport } from '@ferry/contracts';
import type { AttemptObservation } from '@ferry/executor';
import { JOB_CONTAINER } from './kubernetes.labels.js';
import { classifyWaitingPod } from './pod-waiting.classifier.js';
import { jobContainer, newestPod } from './pod-state.js';

/**
 * What a Job and its pods say about the job, in the executor interface's terms. Level-based and
 * pure: the informer caches in, an observation out. The Job's conditions decide the end; the pods
 * say which attempt runs and why one is not running yet.
 */
export function observeKubernetesJob(k8sJob: V1Job | undefined, pods: readonly V1Pod[], maxAttempts: number, error?: JobErrorReport): AttemptObservation {
  if (k8sJob === undefined) return { phase: 'absent' };
  const status = k8sJob.status ?? {};
  const failed = status.failed ?? 0;
  const live = [...pods]
    .filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
    .sort((a, b) => time(b.metadata?.creationTimestamp) - time(a.metadata?.creationTimestamp));
  const attemptNow = Math.max(1, Math.min(maxAttempts, failed + 1));

  const complete = condition(k8sJob, 'Complete');
  if (complete !== undefined) {
    return { phase: 'finished', attempt: attemptNow, outcome: 'succeeded', reason: null, message: null, finishedAt: when(status.completionTime ?? complete.lastTransitionTime) };
  }
  const failure = condition(k8sJob, 'Failed');
  if (failure !== undefined) {
    const attempt = Math.max(1, Math.min(maxAttempts, failed));
    const { reason, message } = failureReason(failure, attempt, maxAttempts, error, pods);
    return { phase: 'finished', attempt, outcome: 'failed', reason, message, finishedAt: when(failure.lastTransitionTime) };
  }

  // The Job ignores a pod the kubelet evicted (a DisruptionTarget) and would start another that
  // fills the same disk: an eviction for disk ends the job here.
  const evicted = diskEviction(pods);
  if (evicted !== undefined) {
    return { phase: 'finished', attempt: attemptNow, outcome: 'failed', reason: JobReason.DiskLimitExceeded, message: evicted.message, finishedAt: evicted.at };
  }

  const current = live[0];
  if (k8sJob.spec?.suspend === true && current === undefined) {
    return { phase: 'pending', attempt: attemptNow, since: when(k8sJob.metadata?.creationTimestamp), reason: JobReason.QueuedBehindLimit, message: 'suspended until Kueue admits it' };
  }
  if (current?.status?.phase === 'Running') {
    return { phase: 'running', attempt: attemptNow, startedAt: when(current.status.startTime), stopping: current.metadata?.deletionTimestamp !== undefined };
  }
  const waiting = current === undefined ? undefined : classifyWaitingPod(current);
  return {
    phase: 'pending',
    attempt: attemptNow,
    since: when(current?.metadata?.creationTimestamp ?? k8sJob.metadata?.creationTimestamp),
    reason: waiting?.reason ?? null,
    message: waiting?.message ?? null,
  };
}

function failureReason(
  failure: V1JobCondition,
  attempt: number,
  maxAttempts: number,
  error: JobErrorReport | undefined,
  pods: readonly V1Pod[],
): { reason: string; message: string } {
  const said = error === undefined ? '' : `: ${error.message}`;
  switch (failure.reason) {
    case 'BackoffLimitExceeded': {
      const oom = oomKilled(pods);
      if (oom !== undefined) {
        return { reason: JobReason.OOMKilled, message: `attempt ${attempt} of ${maxAttempts} failed: the container passed its memory limit (${oom.limit}) and was killed` };
      }
      return { reason: JobReason.BackoffLimitExceeded, message: `attempt ${attempt} of ${maxAttempts} failed${said}` };
    }
    case 'DeadlineExceeded':
      return { reason: JobReason.DeadlineExceeded, message: failure.message ?? 'the job ran past its deadline' };
    case 'PodFailurePolicy':
      // The permanent exit code: the runner's own reason (SourceRefused, SqlError, …) when it gave one.
      return { reason: error?.reason ?? JobReason.ExitCode, message: error?.message ?? `exit code ${ExitCode.Permanent}` };
    default:
      return { reason: failure.reason ?? 'Failed', message: failure.message ?? 'the Kubernetes Job failed' };
  }
}

/**
 * Whether the last attempt ended by the kernel's OOM killer: the newest failed pod's job container
 * terminated with reason OOMKilled (the kubelet reads it from the container runtime).
 */
function oomKilled(pods: readonly V1Pod[]): { readonly limit: string } | undefined {
  const last = newestPod(pods.filter((pod) => pod.status?.phase === 'Failed'));
  if (last === undefined || jobContainer(last)?.state?.terminated?.reason !== 'OOMKilled') return undefined;
  const limit = last.spec?.containers.find((container) => container.name === JOB_CONTAINER)?.resources?.limits?.['memory'];
  return { limit: limit ?? 'no limit set' };
}

/**
 * A pod the kubelet evicted because it passed its ephemeral-storage limit or its emptyDir's
 * `sizeLimit` (status reason `Evicted`, the kubelet's message naming the limit).
 */
// The kubelet's eviction messages for a pod, a container and an emptyDir past their own limit
// (pkg/kubelet/eviction/helpers.go); a node short of disk evicts with "low on resource" instead.
const DISK_LIMIT_EVICTION = /exceeds the (total )?limit|exceeded its local ephemeral storage limit/;

function diskEviction(pods: readonly V1Pod[]): { readonly message: string; readonly at: Date } | undefined {
  const pod = pods.find((each) => each.status?.reason === 'Evicted' && DISK_LIMIT_EVICTION.test(each.status.message ?? ''));
  if (pod === undefined) return undefined;
  const disrupted = pod.status?.conditions?.find((each) => each.type === 'DisruptionTarget');
  return {
    message: `the pod passed its disk limit and the kubelet evicted it: ${(pod.status?.message ?? '').trim()}`,
    at: when(disrupted?.lastTransitionTime ?? pod.metadata?.creationTimestamp),
  };
}

/** Whether the Job controller has ended the Job (condition Complete or Failed). */
export function hasEnded(k8sJob: V1Job): boolean {
  return condition(k8sJob, 'Complete') !== undefined || condition(k8sJob, 'Failed') !== undefined;
}

function condition(k8sJob: V1Job, type: string): V1JobCondition | undefined {
  return k8sJob.status?.conditions?.find((candidate) => candidate.type === type && candidate.status === 'True');
}

function time(value: Date | string | undefined): number {
  return value === undefined ? 0 : new Date(value).getTime();
}

function when(value: Date | string | undefined): Date {
  return value === undefined ? new Date(0) : new Date(value);
}
