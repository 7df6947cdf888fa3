import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { ConfigError } from '@ferry/contracts';
import {
  JobEventStream,
  JobLogStream,
  JobStore,
  LeaderLease,
  UsageStore,
  connectNats,
  natsConnectOptionsFromEnv,
  ensureIntakeConsumer,
  ensureTopology,
  topologyFromEnv,
} from '@ferry/nats';
import { loadCatalog } from '@ferry/pipelines';
import { loadControllerConfig } from './config/controller.config.js';
import { executorFactory, localContainerPolicy } from './executors/executor.factory.js';
import { ControllerRuntime } from './controller.runtime.js';
import { LeaderElection } from './leadership/leader-election.js';

async function main(): Promise<void> {
  const config = loadControllerConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'ferry-controller', pid: process.pid } });
  const catalog = await loadCatalog(config.FERRY_PIPELINES);
  localContainerPolicy(config, catalog, logger);
  // Unique per process: a restarted controller is a new owner, so it recognises the attempts of its
  // previous life as lost rather than as its own.
  const instance = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const topology = topologyFromEnv();

  const connection = await connectNats(natsConnectOptionsFromEnv(`ferry-controller-${instance}`));
  const nats = await ensureTopology(connection, topology);
  const ackWaitMs = config.FERRY_ACK_WAIT_SECONDS * 1000;
  await ensureIntakeConsumer(nats.jsm, topology, { ackWaitMs, maxAckPending: 1024 });

  const runtime = new ControllerRuntime(
    {
      nats,
      jobs: JobStore.on(nats),
      events: new JobEventStream(nats.js, nats.jsm, topology), logs: new JobLogStream(nats.js, nats.jsm, topology),
      usage: new UsageStore(nats.usage),
    },
    catalog,
    {
      createExecutor: await executorFactory(config, instance, logger),
      limits: { global: config.FERRY_MAX_CONCURRENT, perTenant: config.FERRY_MAX_CONCURRENT_PER_TENANT },
      reconcileConcurrency: config.FERRY_RECONCILE_CONCURRENCY,
      resyncMs: config.FERRY_RESYNC_SECONDS * 1000,
      fullResyncMs: config.FERRY_FULL_RESYNC_SECONDS * 1000,
      progressIntervalMs: config.FERRY_PROGRESS_INTERVAL_MS,
      ackWaitMs,
      retryBaseMs: config.FERRY_RETRY_BASE_SECONDS * 1000,
      retryMaxMs: config.FERRY_RETRY_MAX_SECONDS * 1000,
      retentionMs: topology.retentionSeconds * 1000,
    },
    logger,
  );

  const leaseMs = config.FERRY_LEASE_SECONDS * 1000;
  const lease = new LeaderLease(nats.leases, { name: 'controller', holder: instance, durationMs: leaseMs });
  const election = new LeaderElection(lease, leaseMs, runtime, logger);
  await election.start();
  if (!runtime.active) logger.info('another controller leads; standing by');

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: stopping attempts, releasing the lease, draining NATS');
    void election
      .stop()
      .then(() => connection.drain())
      .catch((error: unknown) => logger.error({ err: error }, 'shutdown failed'))
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ferry-controller: ${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
