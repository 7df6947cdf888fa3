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
}

/** Publishes with the same `Nats-Msg-Id` inside this window are stored once. */
const DUPLICATE_WINDOW_MS = 2 * 60_000;
const UPLOAD_CLAIM_TTL_MS = 60 * 60_000;

/**
 * Creates what is missing and brings the streams' limits to the configured ones. Safe to run from
 * every replica at once, at every start: creation is idempotent and a lost race is an update.
 */
export async function ensureTopology(connection: NatsConnection, topology: NatsTopology): Promise<FerryNats> {
  const jsm = await jetstreamManager(connection);
  const js = jetstream(connection);

  await ensureStream(jsm, {
    name: topology.eventsStream,
    subjects: [allSubjects('events', topology.subjectPrefix)],
    max_age: nanos(topology.eventsMaxAgeSeconds * 1000),
    max_bytes: topology.eventsMaxBytes,
    num_replicas: topology.replicas,
  });
  await ensureStream(jsm, {
    name: topology.logsStream,
    subjects: [allSubjects('logs', topology.subjectPrefix)],
    max_age: nanos(topology.logsMaxAgeSeconds * 1000),
    max_bytes: topology.logsMaxBytes,
    num_replicas: topology.replicas,
  });

  // Direct gets read it (a page of the list) without creating a consumer per request.
  await ensureStream(jsm, {
    name: topology.listIndexStream,
    subjects: [tenantIndexSubject('*', topology.subjectPrefix)],
    max_age: nanos(topology.listIndexMaxAgeSeconds * 1000),
    max_bytes: topology.listIndexMaxBytes,
    num_replicas: topology.replicas,
    allow_direct: true,
  });

  const kvm = new Kvm(js);
  // One value per key: the record is the whole truth, and compare-and-set needs only the latest.
  const jobs = await kvm.create(topology.jobsBucket, { history: 1, storage: StorageType.File, replicas: topology.replicas });
  const idempotency = await kvm.create(topology.idempotencyBucket, {
    history: 1,
    storage: StorageType.File,
    replicas: topology.replicas,
    ttl: topology.idempotencyTtlSeconds * 1000,
  });
  // An existing bucket keeps the TTL it was created with: a changed setting is applied here.
  await applyMaxAge(jsm, kvStreamName(topology.idempotencyBucket), topology.idempotencyTtlSeconds);
  const leases = await kvm.create(topology.leasesBucket, { history: 1, storage: StorageType.File, replicas: topology.replicas });
  const results = await new Objm(js).create(topology.resultsBucket, {
    storage: StorageType.File,
    replicas: topology.replicas,
    ttl: nanos(topology.resultsTtlSeconds * 1000),
  });

  await applyMaxAge(jsm, `OBJ_${topology.resultsBucket}`, topology.resultsTtlSeconds);
  // A claim outlives any upload it guards; one left by a gateway that died mid-upload expires.
  const uploadClaims = await kvm.create(topology.uploadClaimsBucket, {
    history: 1,
    storage: StorageType.File,
    replicas: topology.replicas,
    ttl: UPLOAD_CLAIM_TTL_MS,
  });

  return { connection, topology, js, jsm, jobs, idempotency, leases, results, uploadClaims };
}

type FerryStreamConfig = Pick<StreamConfig, 'name' | 'subjects' | 'max_age' | 'max_bytes' | 'num_replicas'> & Partial<Pick<StreamConfig, 'allow_direct'>>;

async function ensureStream(jsm: JetStreamManager, config: FerryStreamConfig): Promise<void> {
  const full: Partial<StreamConfig> & { name: string } = {
    ...config,
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  // Read first: the server checks an `add` of an existing stream against its storage limit as if
  // the stream's max_bytes were not reserved yet, and so is an update (nats-server#3321). With the
  // chart's max_file_store, either would refuse an unchanged FERRY_LOGS; so an existing stream is
  // updated only when a setting of Ferry's differs.
  let current = await streamConfig(jsm, config.name);
  if (current === undefined) {
    try {
      await jsm.streams.add(full);
      return;
    } catch (error) {
      // Another replica created it meanwhile (its add won; this one is refused as above).
      current = error instanceof JetStreamApiError ? await streamConfig(jsm, config.name) : undefined;
      if (current === undefined) throw error;
    }
  }
  if (!differs(current, full)) return;
  const { name: _name, ...update } = full;
  await jsm.streams.update(config.name, update);
}

async function streamConfig(jsm: JetStreamManager, name: string): Promise<StreamConfig | undefined> {
  try {
    return (await jsm.streams.info(name)).config;
  } catch (error) {
    if (isStreamNotFound(error)) return undefined;
    throw error;
  }
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

/** Sets a bucket's stream to this max age when it has another (nats.js leaves an existing bucket's TTL as it was). */
async function applyMaxAge(jsm: JetStreamManager, stream: string, maxAgeSeconds: number): Promise<void> {
  const { config } = await jsm.streams.info(stream);
  const maxAge = nanos(maxAgeSeconds * 1000);
  if (config.max_age !== maxAge) await jsm.streams.update(stream, { ...config, max_age: maxAge });
}

/** The stream behind a KV bucket, as JetStream names it. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
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
