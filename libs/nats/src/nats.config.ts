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
  readonly logsMaxAgeSeconds: number;
  readonly resultsTtlSeconds: number;
  /** Outlives the job records it points at (their retention), so a retained job is always listed. */
  readonly listIndexMaxAgeSeconds: number;
  readonly idempotencyTtlSeconds: number;
  /** Per-tenant usage (jobs kept, bytes stored) the controller counts and the gateway checks quotas against. */
  readonly usageBucket: string;
  /** Bytes each stream and bucket may hold (`max_bytes`); together they make `FERRY_NATS_STORE_BYTES`. */
  readonly maxBytes: StoreBytes;
  /** Replicas for every stream; 1 for a single server, 3 for a cluster. */
  readonly replicas: number;
}

/** The `max_bytes` of each stream and bucket Ferry declares. */
export interface StoreBytes {
  readonly events: number;
  readonly logs: number;
  readonly listIndex: number;
  readonly jobs: number;
  readonly results: number;
  readonly idempotency: number;
  /** Each of the small buckets: leases, upload claims, usage. */
  readonly small: number;
}

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;

/** Bytes Ferry reserves in JetStream by default: 7 GiB, under the chart's 8 GB `max_file_store`. */
export const DEFAULT_STORE_BYTES = 7 * GIB;
const SMALL_BUCKET_BYTES = 16 * MIB;
const SMALL_BUCKETS = 3;

/**
 * How the store is shared, in sixteenths of what the small buckets leave: results and job records
 * take half, logs a quarter, events an eighth, the list index and idempotency keys a sixteenth each.
 */
const SHARES = { events: 2, logs: 4, listIndex: 1, jobs: 3, results: 5, idempotency: 1 } as const;

/** Splits `storeBytes` among the streams and buckets; the parts never add up to more than it. */
export function splitStore(storeBytes: number): StoreBytes {
  const sixteenth = Math.floor((storeBytes - SMALL_BUCKETS * SMALL_BUCKET_BYTES) / 16);
  return {
    events: SHARES.events * sixteenth,
    logs: SHARES.logs * sixteenth,
    listIndex: SHARES.listIndex * sixteenth,
    jobs: SHARES.jobs * sixteenth,
    results: SHARES.results * sixteenth,
    idempotency: SHARES.idempotency * sixteenth,
    small: SMALL_BUCKET_BYTES,
  };
}

/** The sum of every `max_bytes` the topology declares: what JetStream reserves for Ferry. */
export function reservedBytes(maxBytes: StoreBytes): number {
  const { small, ...shared } = maxBytes;
  return Object.values(shared).reduce((sum, bytes) => sum + bytes, 0) + SMALL_BUCKETS * small;
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
  logsMaxAgeSeconds: 7 * DAY_SECONDS,
  resultsTtlSeconds: 7 * DAY_SECONDS,
  listIndexMaxAgeSeconds: listIndexMaxAge(7 * DAY_SECONDS),
  idempotencyTtlSeconds: DAY_SECONDS,
  usageBucket: NATS_DEFAULTS.usageBucket,
  maxBytes: splitStore(DEFAULT_STORE_BYTES),
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
  /** Bytes Ferry reserves in JetStream, split among its streams and buckets (`splitStore`). */
  FERRY_NATS_STORE_BYTES: Type.Integer({ minimum: 256 * MIB, default: DEFAULT_STORE_BYTES }),
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
    maxBytes: splitStore(settings.FERRY_NATS_STORE_BYTES),
  };
}
