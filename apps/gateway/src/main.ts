import 'reflect-metadata';
import { hostname } from 'node:os';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import { pino } from 'pino';
import { natsConnectOptionsFromEnv, topologyFromEnv } from '@ferry/nats';
import { loadCatalog } from '@ferry/pipelines';
import { AppModule } from './app.module.js';
import { loadApiKeys } from './auth/api-keys.js';
import { authEnabled } from './auth/auth-mode.js';
import { DEFAULT_TENANT } from './auth/auth.guard.js';
import { TokenBuckets } from './auth/token-bucket.js';
import { ConfigError, loadGatewayConfig } from './config/gateway.config.js';
import { answerClientError, answerFrameworkError } from './http/client-errors.js';
import { configureFastify } from './http/fastify.setup.js';
import { OpenStreams } from './http/open-streams.js';
import { createValidationPipe } from './http/validation.js';
import { EventIds } from './jobs/event-ids.js';
import { PinoNestLogger } from './logging/pino.logger.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { NatsLink } from './nats/nats-link.js';
import { buildOpenApiDocument } from './openapi/openapi.document.js';
import { TenantQuotas } from './quotas/tenant-quotas.js';
import { registerResultUpload } from './results/result-upload.route.js';

async function bootstrap(): Promise<void> {
  const config = loadGatewayConfig();
  const logger = pino({ level: config.LOG_LEVEL, base: { service: 'ferry-gateway', pid: process.pid } });
  const keys = loadApiKeys(config);
  const withAuth = authEnabled(config, keys);
  if (!withAuth) logger.warn({ host: config.HOST }, `FERRY_AUTH=off: every request is tenant "${DEFAULT_TENANT}", without a key`);
  const catalog = await loadCatalog(config.FERRY_PIPELINES);
  const topology = topologyFromEnv();
  const nats = new NatsLink(
    natsConnectOptionsFromEnv(`ferry-gateway-${hostname()}-${process.pid}`),
    topology,
    { info: (message) => logger.info(message), warn: (message) => logger.warn(message) },
  );
  const metrics = new GatewayMetrics();
  const quotas = new TenantQuotas(nats, { jobs: config.FERRY_TENANT_MAX_JOBS, bytes: config.FERRY_TENANT_MAX_BYTES });

  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.FERRY_BODY_LIMIT_BYTES,
    // Per-request log lines cost a third of the throughput of small routes; the metrics carry them.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors before Nest sees a request still leave as problem documents.
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      nats,
      catalog,
      auth: { enabled: withAuth, keys },
      rateLimiter: config.FERRY_RATE_LIMIT > 0 ? new TokenBuckets(config.FERRY_RATE_LIMIT, config.FERRY_RATE_BURST) : null,
      metrics,
      sseHeartbeatMs: config.FERRY_SSE_HEARTBEAT_SECONDS * 1000,
      streamLimits: { perTenant: config.FERRY_STREAMS_PER_TENANT, perReplica: config.FERRY_STREAMS_PER_REPLICA },
      quotas,
      eventIds: new EventIds(config.FERRY_RESULT_SECRET),
    }),
    adapter,
    // Body parsers are Fastify's, set in `configureFastify` (JSON only, UTF-8, bounded nesting).
    { logger: new PinoNestLogger(logger), bodyParser: false },
  );
  app.useGlobalPipes(createValidationPipe());
  configureFastify(app.getHttpAdapter().getInstance(), metrics);
  registerResultUpload(app.getHttpAdapter().getInstance(), nats, { secret: config.FERRY_RESULT_SECRET, maxBytes: config.FERRY_RESULT_MAX_BYTES, quotas });
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'openapi.json', raw: ['json'] });

  await app.listen({ port: config.PORT, host: config.HOST });
  logger.info({ url: await app.getUrl() }, 'gateway listening');
  nats.start().catch((error: unknown) => logger.error({ err: error }, 'NATS link failed'));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: closing streams, finishing requests, draining NATS');
    const deadline = setTimeout(() => process.exit(1), config.FERRY_SHUTDOWN_GRACE_SECONDS * 1000);
    deadline.unref();
    app.get(OpenStreams).closeAll();
    void app
      .close()
      .then(() => nats.close())
      .then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

bootstrap().catch((error: unknown) => {
  const message = error instanceof ConfigError || (error instanceof Error && error.message.startsWith('pipeline catalog'))
    ? error.message
    : (error as Error).stack;
  process.stderr.write(`ferry-gateway: ${message}\n`);
  process.exit(1);
});
