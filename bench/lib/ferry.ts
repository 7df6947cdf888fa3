// Ferry as a bench subject: its own nats-server (with the chosen fsync policy), a gateway and,
// when jobs must run, a controller with production defaults (not the test suite's fast timers).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ensureNatsServer, freePort, startNatsServer, type RunningNatsServer } from '../../scripts/lib/nats-server.ts';
import { TestController } from '../../test/support/controller.ts';
import { TEST_KEYS, TestGateway } from '../../test/support/gateway.ts';
import { RUNNER_MAIN } from '../../test/support/paths.ts';

/** `always`: fsync before every ack (Ferry's default); `default`: NATS's own (flush every 2 min). */
export type FerrySync = 'always' | 'default';

export interface FerryOptions {
  readonly sync?: FerrySync;
  readonly controller?: boolean;
  readonly gatewayEnv?: Record<string, string>;
}

export const FERRY_KEY = TEST_KEYS.acme;
export const FERRY_TENANT = 'acme';
export const SLEEP_0 = JSON.stringify({ pipeline: 'sleep', params: { seconds: 0 } });
export { RUNNER_MAIN };

// The controller's own defaults, undoing the test suite's short timers.
export const PRODUCTION_TIMERS = {
  FERRY_RETRY_BASE_SECONDS: '10',
  FERRY_RETRY_MAX_SECONDS: '360',
  FERRY_STOP_GRACE_SECONDS: '10',
  FERRY_LEASE_SECONDS: '10',
  FERRY_RESYNC_SECONDS: '30',
  FERRY_PROGRESS_INTERVAL_MS: '500',
  LOG_LEVEL: 'error',
};

export class Ferry {
  readonly url: string;
  readonly natsUrl: string;
  private readonly parts: { nats: RunningNatsServer; storeDir: string; gateway: TestGateway; controller: TestController | undefined };

  private constructor(parts: Ferry['parts']) {
    this.parts = parts;
    this.url = parts.gateway.url;
    this.natsUrl = parts.nats.url;
  }

  static async start(options: FerryOptions = {}): Promise<Ferry> {
    const storeDir = await mkdtemp(join(tmpdir(), 'ferry-bench-nats-'));
    const syncInterval = (options.sync ?? 'always') === 'always' ? 'always' : '2m';
    const nats = await startNatsServer({ binary: await ensureNatsServer(), port: await freePort(), storeDir, syncInterval });
    let gateway: TestGateway | undefined;
    try {
      gateway = await TestGateway.start({ natsUrl: nats.url, env: { LOG_LEVEL: 'error', FERRY_RATE_LIMIT: '0', ...options.gatewayEnv } });
      const controller = options.controller === true ? TestController.start({ natsUrl: nats.url, gatewayUrl: gateway.url, env: PRODUCTION_TIMERS }) : undefined;
      return new Ferry({ nats, storeDir, gateway, controller });
    } catch (error) {
      await gateway?.stop();
      await nats.stop();
      await rm(storeDir, { recursive: true, force: true });
      throw error;
    }
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${FERRY_KEY}`, 'content-type': 'application/json' };
  }

  /** A NATS connection for the events subjects (docs/architecture.md §5, the subscribers' contract). */
  connectNats(): Promise<NatsConnection> {
    return connect({ servers: this.natsUrl });
  }

  async stop(): Promise<void> {
    await this.parts.controller?.kill();
    await this.parts.gateway.stop();
    await this.parts.nats.stop();
    await rm(this.parts.storeDir, { recursive: true, force: true });
  }
}
