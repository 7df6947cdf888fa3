import type { KubernetesObject, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { isJobId, isTenantName } from '@ferry/contracts';
import { JOB_CONTAINER, LABELS } from './kubernetes.labels.js';

/** The job a Ferry Job or pod belongs to, read from its labels (parsed: a label is user-editable). */
export function ferryJobOf(object: KubernetesObject): { tenant: string; jobId: string } | undefined {
  const labels = object.metadata?.labels ?? {};
  const tenant = labels[LABELS.tenant];
  const jobId = labels[LABELS.jobId];
  if (tenant === undefined || jobId === undefined || !isTenantName(tenant) || !isJobId(jobId)) return undefined;
  return { tenant, jobId };
}

export function jobContainer(pod: V1Pod): V1ContainerStatus | undefined {
  return pod.status?.containerStatuses?.find((status) => status.name === JOB_CONTAINER);
}

/** The `job` container has run (or runs): its log exists and can be read. */
export function hasStarted(pod: V1Pod): boolean {
  const status = jobContainer(pod);
  if (status?.state?.running !== undefined || status?.state?.terminated !== undefined || status?.lastState?.terminated !== undefined) return true;
  return pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded';
}

/** Nothing more will be written to the `job` container's log. */
export function hasTerminated(pod: V1Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || jobContainer(pod)?.state?.terminated !== undefined;
}

/**
 * The attempt a pod ran, 1-based: its place among the Job's pods by creation (a Job makes one pod
 * after another: `podReplacementPolicy: Failed`). Fixed when its log is first followed; a pod the
 * garbage collector already removed shifts later ones down, and a pod replaced after a disruption
 * (which Kubernetes does not count as a retry) counts here as an attempt of its own.
 */
export function attemptOfPod(pod: V1Pod, siblings: readonly V1Pod[]): number {
  const key = creationKey(pod);
  return 1 + siblings.filter((other) => other.metadata?.uid !== pod.metadata?.uid && compare(creationKey(other), key) < 0).length;
}

/** The newest of `pods` by creation (then by name, as attemptOfPod orders them). */
export function newestPod(pods: readonly V1Pod[]): V1Pod | undefined {
  return pods.reduce<V1Pod | undefined>((newest, pod) => (newest === undefined || compare(creationKey(pod), creationKey(newest)) > 0 ? pod : newest), undefined);
}

function creationKey(pod: V1Pod): [number, string] {
  const created = pod.metadata?.creationTimestamp;
  return [created === undefined ? 0 : new Date(created).getTime(), pod.metadata?.name ?? ''];
}

function compare([timeA, nameA]: [number, string], [timeB, nameB]: [number, string]): number {
  return timeA === timeB ? nameA.localeCompare(nameB) : timeA - timeB;
}
