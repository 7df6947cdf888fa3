import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { NatsLink } from '../nats/nats-link.js';
import { GatewayMetrics } from '../metrics/metrics.js';

/** Probes and metrics: public, and never touching NATS on the request path. */
@ApiExcludeController()
@Controller()
export class HealthController {
  constructor(
    private readonly nats: NatsLink,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** Liveness: the process answers. No dependency, so a NATS outage never restarts gateways. */
  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  /** Readiness: NATS connected and the streams and buckets ensured. */
  @Get('readyz')
  readyz(@Res() reply: FastifyReply): void {
    const ready = this.nats.ready;
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', nats: this.nats.reason });
  }

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.metrics.registry.metrics();
    void reply.header('content-type', this.metrics.registry.contentType).send(body);
  }
}
