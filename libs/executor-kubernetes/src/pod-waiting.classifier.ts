import type { V1Pod } from '@kubernetes/client-node';

export interface WaitingCause {
  readonly reason: string;
  readonly message: string | null;
}

/** Waiting reasons of a container that mean "this will not start by itself" (docs/architecture.md §3 names them). */
const STUCK_CONTAINER_REASONS = new Set([
  'ImagePullBackOff',
  'ErrImagePull',
  'InvalidImageName',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

/**
 * Why a pod is not running yet, in the words `reason` uses: `Unschedulable` (no node fits),
 * an image or container-config error, or plain `ContainerCreating`. Undefined for a pod that runs.
 */
export function classifyWaitingPod(pod: V1Pod): WaitingCause | undefined {
  if (pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return undefined;
  const scheduled = pod.status?.conditions?.find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return { reason: 'Unschedulable', message: scheduled.message ?? null };
  }
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const waiting = status.state?.waiting;
    if (waiting?.reason !== undefined && STUCK_CONTAINER_REASONS.has(waiting.reason)) {
      return { reason: waiting.reason, message: waiting.message ?? null };
    }
  }
  if (scheduled?.status !== 'True') return { reason: 'Pending', message: 'waiting to be scheduled' };
  return { reason: 'ContainerCreating', message: null };
}
