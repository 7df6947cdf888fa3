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

  /**
   * Readiness: 503 until NATS was reached and the streams and buckets ensured once; then 200, also
   * while NATS is away (`degraded`: job routes answer 503 with Retry-After). A NATS outage is shared
   * by every replica, and failing them all would empty the Service, turning each 503 into a refused
   * connection: docs/decisions/0003-gateway-http-edge.md (NATS availability).
   */
  @Get('readyz')
  readyz(@Res() reply: FastifyReply): void {
    const status = this.nats.ready ? 'ready' : this.nats.serving ? 'degraded' : 'not ready';
    void reply.status(this.nats.serving ? 200 : 503).send({ status, nats: this.nats.reason });
  }

  @Get('metrics')
  async scrape(@Res() reply: FastifyReply): Promise<void> {
    this.metrics.natsConnected.set(this.nats.ready ? 1 : 0);
    const body = await this.metrics.registry.metrics();
    void reply.header('content-type', this.metrics.registry.contentType).send(body);
  }
}
