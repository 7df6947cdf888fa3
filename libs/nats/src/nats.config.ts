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
  readonly subjectPrefix: string;
  readonly eventsMaxAgeSeconds: number;
  readonly eventsMaxBytes: number;
  readonly logsMaxAgeSeconds: number;
  readonly logsMaxBytes: number;
  readonly resultsTtlSeconds: number;
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
  subjectPrefix: NATS_DEFAULTS.subjectPrefix,
  eventsMaxAgeSeconds: 7 * DAY_SECONDS,
  eventsMaxBytes: 1024 ** 3,
  logsMaxAgeSeconds: 7 * DAY_SECONDS,
  logsMaxBytes: 4 * 1024 ** 3,
  resultsTtlSeconds: 7 * DAY_SECONDS,
  idempotencyTtlSeconds: DAY_SECONDS,
  replicas: 1,
};
