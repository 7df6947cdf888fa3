import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Catalog } from '@ferry/pipelines';
import { API_KEYS, AuthGuard, RATE_LIMITER, type AuthSettings } from './auth/auth.guard.js';
import { TokenBuckets } from './auth/token-bucket.js';
import { HealthController } from './health/health.controller.js';
import { OpenStreams, type StreamLimits } from './http/open-streams.js';
import { ProblemFilter } from './http/problem.filter.js';
import { EventIds } from './jobs/event-ids.js';
import { JobEventsService } from './jobs/job-events.service.js';
import { JobOutputController, SSE_HEARTBEAT_MS } from './jobs/job-output.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { CATALOG, CLOCK, JobsService, type Clock } from './jobs/jobs.service.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { NatsLink } from './nats/nats-link.js';
import { PipelinesController } from './pipelines/pipelines.controller.js';
import { TenantQuotas } from './quotas/tenant-quotas.js';
import { UsageController } from './quotas/usage.controller.js';

export interface GatewayDependencies {
  readonly nats: NatsLink;
  readonly catalog: Catalog;
  readonly auth: AuthSettings;
  /** `null` when the rate limit is off. */
  readonly rateLimiter: TokenBuckets | null;
  readonly metrics: GatewayMetrics;
  readonly sseHeartbeatMs: number;
  readonly streamLimits: StreamLimits;
  readonly quotas: TenantQuotas;
  readonly eventIds: EventIds;
  readonly clock?: Clock;
}

/** The gateway's wiring. Everything with I/O is built in `main.ts` and handed in here. */
@Module({})
export class AppModule {
  static forRoot(dependencies: GatewayDependencies): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, PipelinesController, JobsController, JobOutputController, UsageController],
      providers: [
        { provide: NatsLink, useValue: dependencies.nats },
        { provide: CATALOG, useValue: dependencies.catalog },
        { provide: API_KEYS, useValue: dependencies.auth },
        { provide: RATE_LIMITER, useValue: dependencies.rateLimiter },
        { provide: GatewayMetrics, useValue: dependencies.metrics },
        { provide: SSE_HEARTBEAT_MS, useValue: dependencies.sseHeartbeatMs },
        { provide: CLOCK, useValue: dependencies.clock ?? (() => new Date()) },
        { provide: APP_FILTER, useClass: ProblemFilter },
        AuthGuard,
        { provide: OpenStreams, useValue: new OpenStreams(dependencies.streamLimits) },
        { provide: TenantQuotas, useValue: dependencies.quotas },
        { provide: EventIds, useValue: dependencies.eventIds },
        JobsService,
        JobEventsService,
      ],
    };
  }
}
