/**
 * Machine-readable reasons on a job (`reason`). Open-ended on the wire — executors may report a
 * cause Ferry has no name for — but these are the ones Ferry itself sets.
 */
export const JobReason = {
  DeadlineExceeded: 'DeadlineExceeded',
  StartDeadlineExceeded: 'StartDeadlineExceeded',
  BackoffLimitExceeded: 'BackoffLimitExceeded',
  /** The last attempt's container passed its memory limit and the kernel killed it (Kubernetes). */
  OOMKilled: 'OOMKilled',
  ExitCode: 'ExitCode',
  SourceRefused: 'SourceRefused',
  Unschedulable: 'Unschedulable',
  ImagePullBackOff: 'ImagePullBackOff',
  CreateContainerConfigError: 'CreateContainerConfigError',
  QueuedBehindLimit: 'QueuedBehindLimit',
  Cancelled: 'Cancelled',
  Retrying: 'Retrying',
  InvalidSubmission: 'InvalidSubmission',
  /** The attempt passed its disk bound: DuckDB's spill limit, a full disk, or (Kubernetes) its ephemeral-storage limit. */
  DiskLimitExceeded: 'DiskLimitExceeded',
  /** The tenant's stored-bytes quota, or a shared store, had no room for the attempt's result. */
  QuotaExceeded: 'QuotaExceeded',
  /** The executor no longer has a job it was running (its Kubernetes Job was deleted by someone else). */
  Lost: 'Lost',
  /** The attempt ended with the controller that ran it (a local process whose controller died). */
  Disrupted: 'Disrupted',
} as const;
export type JobReason = (typeof JobReason)[keyof typeof JobReason];
