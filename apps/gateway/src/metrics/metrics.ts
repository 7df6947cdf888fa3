import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The gateway's Prometheus registry: process metrics plus HTTP and intake counters. */
export class GatewayMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'ferry_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly jobsSubmitted = new Counter({
    name: 'ferry_jobs_submitted_total',
    help: 'Jobs accepted (202) by pipeline',
    labelNames: ['pipeline'] as const,
    registers: [this.registry],
  });

  /** Set at each scrape: `/readyz` stays 200 through a NATS outage, so alerts read this. */
  readonly natsConnected = new Gauge({
    name: 'ferry_nats_connected',
    help: '1 while the gateway is connected to NATS with its streams and buckets ensured, else 0',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
