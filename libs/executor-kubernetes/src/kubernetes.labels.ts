/** Labels on every Job and pod Ferry creates (docs/architecture.md §6): `kubectl get jobs -l ferry.dev/tenant=acme`. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  component: 'app.kubernetes.io/component',
  jobId: 'ferry.dev/job-id',
  tenant: 'ferry.dev/tenant',
  pipeline: 'ferry.dev/pipeline',
  kueueQueue: 'kueue.x-k8s.io/queue-name',
} as const;

export const MANAGED_BY = 'ferry-controller';
/** What the informers watch: only Ferry's own Jobs and pods. */
export const MANAGED_SELECTOR = `${LABELS.managedBy}=${MANAGED_BY}`;
/** The container of a job pod; `podFailurePolicy` matches exit codes on it. */
export const JOB_CONTAINER = 'job';

/** `ferry-<id>`: 32 characters for a ULID id, well inside the 63 a name feeding a label allows. */
export function jobName(jobId: string): string {
  return `ferry-${jobId}`;
}
