import type { NatsConnection } from '@nats-io/transport-node';
import { ErrorCode, FerryError } from '@ferry/contracts';
import {
  ConnectionTracker,
  IdempotencyStore,
  JobEventStream,
  JobLogStream,
  JobStore,
  NATS_RETRY_AFTER_SECONDS,
  ResultStore,
  UsageStore,
  connectNats,
  ensureTopology,
  type NatsConnectOptions,
  type NatsTopology,
} from '@ferry/nats';

export interface GatewayStores {
  readonly jobs: JobStore;
  readonly idempotency: IdempotencyStore;
  readonly events: JobEventStream;
  readonly logs: JobLogStream;
  readonly results: ResultStore;
  readonly usage: UsageStore;
}

export interface LinkLogger {
  info(message: string): void;
  warn(message: string): void;
}

/**
 * The gateway's one NATS connection and the stores on it. The HTTP server starts before NATS is
 * reachable; until the link is up (connected, topology ensured) every job route answers 503 and
 * `/readyz` says why. While NATS is away later, job routes answer 503 again but the gateway stays
 * `serving`: docs/decisions/0003-gateway-http-edge.md (NATS availability).
 */
export class NatsLink {
  #connection: NatsConnection | undefined;
  #tracker: ConnectionTracker | undefined;
  #stores: GatewayStores | undefined;
  #closing = false;

  constructor(
    private readonly options: NatsConnectOptions,
    private readonly topology: NatsTopology,
    private readonly logger: LinkLogger,
  ) {}

  /** Connects (waiting for a server as long as it takes) and ensures the streams and buckets. */
  async start(): Promise<void> {
    const connection = await connectNats(this.options);
    this.#connection = connection;
    this.#tracker = new ConnectionTracker(connection, (state) => {
      this.logger.warn(`NATS connection ${state}`);
      // A server that came back empty (no persistent store) needs its streams again.
      if (state === 'connected') void this.ensure();
    });
    await this.ensure();
  }

  get ready(): boolean {
    return this.#stores !== undefined && this.#tracker?.connected === true;
  }

  /** The topology was ensured once: from then on this gateway answers every request itself, 503s included. */
  get serving(): boolean {
    return this.#stores !== undefined;
  }

  get reason(): string {
    if (this.#connection === undefined) return 'connecting to NATS';
    if (this.#tracker?.connected !== true) return 'NATS connection lost; reconnecting';
    if (this.#stores === undefined) return 'ensuring JetStream streams and buckets';
    return 'ready';
  }

  /** The stores, or `unavailable` (503 + Retry-After) when NATS cannot take a request now. */
  stores(): GatewayStores {
    if (!this.ready || this.#stores === undefined) {
      throw new FerryError(ErrorCode.Unavailable, `the job store is unavailable: ${this.reason}`, {
        retryAfterSeconds: NATS_RETRY_AFTER_SECONDS,
      });
    }
    return this.#stores;
  }

  async close(): Promise<void> {
    this.#closing = true;
    await this.#connection?.drain().catch(() => undefined);
  }

  private async ensure(): Promise<void> {
    const connection = this.#connection;
    while (connection !== undefined && !this.#closing && !connection.isClosed()) {
      try {
        const nats = await ensureTopology(connection, this.topology);
        this.#stores = {
          jobs: JobStore.on(nats),
          idempotency: new IdempotencyStore(nats.idempotency),
          events: new JobEventStream(nats.js, nats.jsm, this.topology),
          logs: new JobLogStream(nats.js, nats.jsm, this.topology),
          results: ResultStore.on(nats),
          usage: new UsageStore(nats.usage),
        };
        this.logger.info('NATS JetStream topology ready');
        return;
      } catch (error) {
        this.logger.warn(`ensuring NATS topology failed, retrying: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}
