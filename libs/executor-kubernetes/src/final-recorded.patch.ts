import type { V1Job } from '@kubernetes/client-node';

/**
 * Set on a Job once Ferry recorded the job's final state: from then on nothing more is read from it
 * (its pods' logs are not followed again after a controller restart). A marker of our own, not the
 * TTL itself, because a cluster policy may default `ttlSecondsAfterFinished` on every Job.
 */
export const FINAL_RECORDED_ANNOTATION = 'ferry.dev/final-recorded';

/**
 * The merge patch applied when Ferry recorded the final state: only now may the TTL controller
 * delete the Job, so a Job never disappears before Ferry read how it ended.
 */
export function buildFinalRecordedPatch(ttlSecondsAfterFinished: number): FinalRecordedPatch {
  return {
    metadata: { annotations: { [FINAL_RECORDED_ANNOTATION]: 'true' } },
    spec: { ttlSecondsAfterFinished },
  };
}

export interface FinalRecordedPatch {
  readonly metadata: { readonly annotations: Readonly<Record<string, string>> };
  readonly spec: { readonly ttlSecondsAfterFinished: number };
}

export function isFinalRecorded(k8sJob: V1Job): boolean {
  return k8sJob.metadata?.annotations?.[FINAL_RECORDED_ANNOTATION] === 'true';
}
