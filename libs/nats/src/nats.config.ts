import { NATS_DEFAULTS } from '@ferry/contracts';

const DAY_SECONDS = 86_400;

/** Names and retention of every NATS resource Ferry owns (DESIGN §4 retention, §5 names). */
export interface NatsTopology {
  readonly jobsBucket: string;
  readonly idempotencyBucket: string;
  readonly leasesBucket: string;
  /** Durable consumer through which the controller reads every change of the jobs bucket. */
  readonly controllerConsumer: string;
  readonly eventsStream: string;
  readonly logsStream: string;
  readonly resultsBucket: string;
  /** Create-only claims of result uploads, one per job attempt: two uploads of one attempt cannot interleave. */
  readonly uploadClaimsBucket: string;
  /** One small entry per accepted job, per tenant, newest last: what `GET /v1/jobs` pages through. */
  readonly listIndexStream: string;
  readonly subjectPrefix: string;
  readonly eventsMaxAgeSeconds: number;
  readonly eventsMaxBytes: number;
  readonly logsMaxAgeSeconds: number;
  readonly logsMaxBytes: number;
  readonly resultsTtlSeconds: number;
  /** Outlives the job records it points at (their retention), so a retained job is always listed. */
  readonly listIndexMaxAgeSeconds: number;
  readonly listIndexMaxBytes: number;
  readonly idempotencyTtlSeconds: number;
  /** Replicas for every stream; 1 for a single server, 3 for a cluster. */
  readonly replicas: number;
}

export const DEFAULT_TOPOLOGY: NatsTopology = {
  jobsBucket: NATS_DEFAULTS.jobsBucket,
  idempotencyBucket: NATS_DEFAULTS.idempotencyBucket,
  leasesBucket: NATS_DEFAULTS.leasesBucket,
  controllerConsumer: NATS_DEFAULTS.controllerConsumer,
  eventsStream: NATS_DEFAULTS.eventsStream,
  logsStream: NATS_DEFAULTS.logsStream,
  resultsBucket: NATS_DEFAULTS.resultsBucket,
  uploadClaimsBucket: NATS_DEFAULTS.uploadClaimsBucket,
  listIndexStream: NATS_DEFAULTS.listIndexStream,
  subjectPrefix: NATS_DEFAULTS.subjectPrefix,
  eventsMaxAgeSeconds: 7 * DAY_SECONDS,
  eventsMaxBytes: 1024 ** 3,
  logsMaxAgeSeconds: 7 * DAY_SECONDS,
  logsMaxBytes: 4 * 1024 ** 3,
  resultsTtlSeconds: 7 * DAY_SECONDS,
  listIndexMaxAgeSeconds: listIndexMaxAge(7 * DAY_SECONDS),
  listIndexMaxBytes: 1024 ** 3,
  idempotencyTtlSeconds: DAY_SECONDS,
  replicas: 1,
};

/** The list index keeps its entries a day longer than the job records they point at. */
function listIndexMaxAge(retentionSeconds: number): number {
  return retentionSeconds + DAY_SECONDS;
}

/**
 * The topology for a retention (`FERRY_RETENTION_SECONDS`): what every process that ensures the
 * topology must agree on, or each start would set the streams' limits back to its own.
 */
export function retainedTopology(retentionSeconds: number): NatsTopology {
  return {
    ...DEFAULT_TOPOLOGY,
    eventsMaxAgeSeconds: retentionSeconds,
    logsMaxAgeSeconds: retentionSeconds,
    resultsTtlSeconds: retentionSeconds,
    listIndexMaxAgeSeconds: listIndexMaxAge(retentionSeconds),
  };
}
