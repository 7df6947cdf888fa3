/** Default names of the NATS resources (docs/architecture.md §5); every one is configurable. */
export const NATS_DEFAULTS = {
  jobsBucket: 'ferry-jobs',
  idempotencyBucket: 'ferry-idempotency',
  leasesBucket: 'ferry-leases',
  controllerConsumer: 'ferry-controller',
  eventsStream: 'FERRY_EVENTS',
  logsStream: 'FERRY_LOGS',
  resultsBucket: 'ferry-results',
  uploadClaimsBucket: 'ferry-upload-claims',
  listIndexStream: 'FERRY_JOB_LIST',
  usageBucket: 'ferry-usage',
  subjectPrefix: 'ferry',
} as const;

export type SubjectKind = 'events' | 'logs';

/** `ferry.<kind>.<tenant>.<jobId>`; pass `*` or `>` tokens to build a filter. */
export function jobSubject(kind: SubjectKind, tenant: string, jobId: string, prefix: string = NATS_DEFAULTS.subjectPrefix): string {
  return `${prefix}.${kind}.${tenant}.${jobId}`;
}

export function allSubjects(kind: SubjectKind, prefix: string = NATS_DEFAULTS.subjectPrefix): string {
  return `${prefix}.${kind}.>`;
}

/** `ferry.index.<tenant>`: one message per job created, in the order they were accepted (the list index). */
export function tenantIndexSubject(tenant: string, prefix: string = NATS_DEFAULTS.subjectPrefix): string {
  return `${prefix}.index.${tenant}`;
}
