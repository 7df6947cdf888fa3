import { Type } from '@sinclair/typebox';
import { NATS_DEFAULTS, parseEnv } from '@ferry/contracts';

const DAY_SECONDS = 86_400;

/** Names and retention of every NATS resource Ferry owns (docs/architecture.md §4 retention, §5 names). */
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
  /** How long a finished job's record is kept (the controller's retention sweep); streams follow it. */
  readonly retentionSeconds: number;
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
  retentionSeconds: 7 * DAY_SECONDS,
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
 * The variables the topology is declared from. Every process that ensures the topology (gateway
 * and controller) reads these same variables through `topologyFromEnv`, so whichever starts first
 * or last, the streams and buckets end with one set of limits.
 */
const TopologyEnvSchema = Type.Object({
  /** How long finished jobs, their events, logs and results are kept. */
  FERRY_RETENTION_SECONDS: Type.Integer({ minimum: 60, default: 7 * DAY_SECONDS }),
  /** How long an `Idempotency-Key` is remembered. */
  FERRY_IDEMPOTENCY_TTL_SECONDS: Type.Integer({ minimum: 60, default: DAY_SECONDS }),
});

/** The topology the environment declares (see `TopologyEnvSchema`); a bad value names its variable. */
export function topologyFromEnv(env: NodeJS.ProcessEnv = process.env): NatsTopology {
  const settings = parseEnv(TopologyEnvSchema, env);
  const retentionSeconds = settings.FERRY_RETENTION_SECONDS;
  return {
    ...DEFAULT_TOPOLOGY,
    retentionSeconds,
    eventsMaxAgeSeconds: retentionSeconds,
    logsMaxAgeSeconds: retentionSeconds,
    resultsTtlSeconds: retentionSeconds,
    listIndexMaxAgeSeconds: listIndexMaxAge(retentionSeconds),
    idempotencyTtlSeconds: settings.FERRY_IDEMPOTENCY_TTL_SECONDS,
  };
}
