import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { allSubjects, tenantIndexSubject } from '@ferry/contracts';
import type { NatsTopology } from './nats.config.js';
import { isStreamNotFound } from './nats-errors.js';

/** Handles to every NATS resource Ferry uses, opened once per process. */
export interface FerryNats {
  readonly connection: NatsConnection;
  readonly topology: NatsTopology;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly jobs: KV;
  readonly idempotency: KV;
  readonly leases: KV;
  readonly results: ObjectStore;
  readonly uploadClaims: KV;
  readonly usage: KV;
}

/** Publishes with the same `Nats-Msg-Id` inside this window are stored once. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;
const UPLOAD_CLAIM_TTL_SECONDS = 60 * 60;

/**
 * Creates what is missing and brings the streams' limits to the configured ones. Safe to run from
 * every replica at once, at every start: creation is idempotent and a lost race is an update.
 */
export async function ensureTopology(connection: NatsConnection, topology: NatsTopology): Promise<FerryNats> {
  const jsm = await jetstreamManager(connection);
  const js = jetstream(connection);

  const { maxBytes } = topology;
  // Events and logs are history: when full, the oldest go. Every other store refuses a write it
  // has no room for (discard new), so nothing acknowledged is dropped to make room.
  await ensureStream(jsm, {
    name: topology.eventsStream,
    subjects: [allSubjects('events', topology.subjectPrefix)],
    max_age: nanos(topology.eventsMaxAgeSeconds * 1000),
    max_bytes: maxBytes.events,
    num_replicas: topology.replicas,
    discard: DiscardPolicy.Old,
  });
  await ensureStream(jsm, {
    name: topology.logsStream,
    subjects: [allSubjects('logs', topology.subjectPrefix)],
    max_age: nanos(topology.logsMaxAgeSeconds * 1000),
    max_bytes: maxBytes.logs,
    num_replicas: topology.replicas,
    discard: DiscardPolicy.Old,
  });

  // Direct gets read it (a page of the list) without creating a consumer per request.
  await ensureStream(jsm, {
    name: topology.listIndexStream,
    subjects: [tenantIndexSubject('*', topology.subjectPrefix)],
    max_age: nanos(topology.listIndexMaxAgeSeconds * 1000),
    max_bytes: maxBytes.listIndex,
    num_replicas: topology.replicas,
    discard: DiscardPolicy.New,
    allow_direct: true,
  });

  const buckets = new BucketDeclarer(js, jsm, topology.replicas);
  // One value per key: the record is the whole truth, and compare-and-set needs only the latest.
  const jobs = await buckets.kv(topology.jobsBucket, { maxBytes: maxBytes.jobs });
  const idempotency = await buckets.kv(topology.idempotencyBucket, { maxBytes: maxBytes.idempotency, maxAgeSeconds: topology.idempotencyTtlSeconds });
  const leases = await buckets.kv(topology.leasesBucket, { maxBytes: maxBytes.small });
  const results = await buckets.objects(topology.resultsBucket, { maxBytes: maxBytes.results, maxAgeSeconds: topology.resultsTtlSeconds });
  // A claim outlives any upload it guards; one left by a gateway that died mid-upload expires.
  const uploadClaims = await buckets.kv(topology.uploadClaimsBucket, { maxBytes: maxBytes.small, maxAgeSeconds: UPLOAD_CLAIM_TTL_SECONDS });
  const usage = await buckets.kv(topology.usageBucket, { maxBytes: maxBytes.small });

  return { connection, topology, js, jsm, jobs, idempotency, leases, results, uploadClaims, usage };
}

type FerryStreamConfig = Pick<StreamConfig, 'name' | 'subjects' | 'max_age' | 'max_bytes' | 'num_replicas' | 'discard'> & Partial<Pick<StreamConfig, 'allow_direct'>>;

async function ensureStream(jsm: JetStreamManager, config: FerryStreamConfig): Promise<void> {
  const full: Partial<StreamConfig> & { name: string } = {
    ...config,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  // Read first: the server checks an `add` of an existing stream against its storage limit as if
  // the stream's max_bytes were not reserved yet, and so is an update (nats-server#3321). With the
  // chart's max_file_store, either would refuse an unchanged FERRY_LOGS; so an existing stream is
  // updated only when a setting of Ferry's differs.
  let current = await streamInfo(jsm, config.name);
  if (current === undefined) {
    try {
      await jsm.streams.add(full);
      return;
    } catch (error) {
      // Another replica created it meanwhile (its add won; this one is refused as above).
      current = error instanceof JetStreamApiError ? await streamInfo(jsm, config.name) : undefined;
      if (current === undefined) throw error;
    }
  }
  if (!differs(current.config, full)) return;
  if (config.discard === DiscardPolicy.New) assertBoundHolds(current, config.max_bytes);
  const { name: _name, ...update } = full;
  await jsm.streams.update(config.name, update);
}

async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (error) {
    if (isStreamNotFound(error)) return undefined;
    throw error;
  }
}

/**
 * Lowering the `max_bytes` of a store that refuses rather than rotates (discard new) below what it
 * holds would make the server drop its oldest messages: acknowledged records. Refused, naming the
 * setting.
 */
function assertBoundHolds(info: StreamInfo, maxBytes: number): void {
  if (info.state.bytes <= maxBytes) return;
  throw new Error(
    `${info.config.name} holds ${info.state.bytes} bytes, more than the ${maxBytes} FERRY_NATS_STORE_BYTES gives it; ` +
      'raise FERRY_NATS_STORE_BYTES (lowering it would drop stored jobs or results)',
  );
}

/** Whether `existing` differs from `wanted` in a setting `wanted` names. */
function differs(existing: StreamConfig, wanted: Partial<StreamConfig>): boolean {
  const same = (key: keyof StreamConfig): boolean => {
    const want = wanted[key];
    const have = existing[key];
    if (Array.isArray(want) && Array.isArray(have)) return JSON.stringify([...want].sort()) === JSON.stringify([...have].sort());
    return want === have;
  };
  return (Object.keys(wanted) as (keyof StreamConfig)[]).some((key) => !same(key));
}

interface BucketLimits {
  readonly maxBytes: number;
  /** How long an entry lives; none when absent. */
  readonly maxAgeSeconds?: number;
}

/**
 * Declares KV buckets and object stores like `ensureStream` declares streams: an existing one is
 * opened, not created again (an add is checked against the storage limit as if its max_bytes were
 * not reserved yet), and its limits are brought to the declared ones when they differ (nats.js
 * leaves an existing bucket's limits as they were).
 */
class BucketDeclarer {
  readonly #kvm: Kvm;
  readonly #objm: Objm;

  constructor(
    js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly replicas: number,
  ) {
    this.#kvm = new Kvm(js);
    this.#objm = new Objm(js);
  }

  async kv(name: string, limits: BucketLimits): Promise<KV> {
    const created = await this.createIfMissing(kvStreamName(name), limits, () =>
      this.#kvm.create(name, {
        history: 1,
        storage: StorageType.File,
        replicas: this.replicas,
        max_bytes: limits.maxBytes,
        ...(limits.maxAgeSeconds === undefined ? {} : { ttl: limits.maxAgeSeconds * 1000 }),
      }),
    );
    return created ?? this.#kvm.open(name);
  }

  async objects(name: string, limits: BucketLimits): Promise<ObjectStore> {
    const created = await this.createIfMissing(objectStoreStreamName(name), limits, () =>
      this.#objm.create(name, {
        storage: StorageType.File,
        replicas: this.replicas,
        max_bytes: limits.maxBytes,
        ...(limits.maxAgeSeconds === undefined ? {} : { ttl: nanos(limits.maxAgeSeconds * 1000) }),
      }),
    );
    return created ?? this.#objm.open(name);
  }

  /** The new bucket, or `undefined` when it existed (its limits now the declared ones). */
  private async createIfMissing<T>(stream: string, limits: BucketLimits, create: () => Promise<T>): Promise<T | undefined> {
    let refused: JetStreamApiError | undefined;
    if ((await streamInfo(this.jsm, stream)) === undefined) {
      try {
        return await create();
      } catch (error) {
        // Another replica created it meanwhile (its add won; this one is refused as above).
        if (!(error instanceof JetStreamApiError)) throw error;
        refused = error;
      }
    }
    const info = await streamInfo(this.jsm, stream);
    // Not a lost race: the server refused the bucket itself (no room, a bad setting); its error says why.
    if (info === undefined) throw refused ?? new Error(`stream ${stream} vanished while it was declared`);
    const wanted: Partial<StreamConfig> = { max_bytes: limits.maxBytes, max_age: nanos((limits.maxAgeSeconds ?? 0) * 1000) };
    if (!differs(info.config, wanted)) return undefined;
    assertBoundHolds(info, limits.maxBytes);
    await this.jsm.streams.update(stream, { ...info.config, ...wanted });
    return undefined;
  }
}

/** The stream behind a KV bucket, as JetStream names it. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/** The stream behind an object store, as JetStream names it. */
export function objectStoreStreamName(bucket: string): string {
  return `OBJ_${bucket}`;
}

/**
 * The controller's durable consumer on the jobs bucket's own stream: every record change is a
 * message, explicitly acked once reconciled. Redelivered after `ackWaitMs` unless the consumer
 * says it is still working; at most `maxAckPending` in flight.
 */
export async function ensureIntakeConsumer(
  jsm: JetStreamManager,
  topology: NatsTopology,
  options: { ackWaitMs: number; maxAckPending: number },
): Promise<void> {
  const config = {
    durable_name: topology.controllerConsumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: `$KV.${topology.jobsBucket}.>`,
    ack_wait: nanos(options.ackWaitMs),
    max_ack_pending: options.maxAckPending,
    max_deliver: -1,
  };
  try {
    await jsm.consumers.add(kvStreamName(topology.jobsBucket), config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError)) throw error;
    await jsm.consumers.update(kvStreamName(topology.jobsBucket), topology.controllerConsumer, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    });
  }
}
