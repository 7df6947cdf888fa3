import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Type } from '@sinclair/typebox';
import { parseEnv } from '@ferry/contracts';

export interface NatsConnectOptions {
  readonly servers: string;
  /** Shown in the server's connection list (`nats server report connections`). */
  readonly name: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

/** The variables both processes connect to NATS by, read in one place (`natsConnectOptionsFromEnv`). */
const NatsConnectionEnvSchema = Type.Object({
  /** One or more servers, comma-separated. */
  NATS_URL: Type.String({ minLength: 1, default: 'nats://127.0.0.1:4222' }),
  NATS_USER: Type.Optional(Type.String()),
  NATS_PASSWORD: Type.Optional(Type.String()),
  NATS_TOKEN: Type.Optional(Type.String()),
});

/** How to reach NATS, from the environment; `name` is how the server lists this connection. */
export function natsConnectOptionsFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): NatsConnectOptions {
  const settings = parseEnv(NatsConnectionEnvSchema, env);
  return {
    servers: settings.NATS_URL,
    name,
    ...(settings.NATS_USER === undefined ? {} : { user: settings.NATS_USER }),
    ...(settings.NATS_PASSWORD === undefined ? {} : { pass: settings.NATS_PASSWORD }),
    ...(settings.NATS_TOKEN === undefined ? {} : { token: settings.NATS_TOKEN }),
  };
}

/**
 * Connects and keeps reconnecting forever: a gateway outlives a NATS restart and answers 503
 * meanwhile instead of exiting. The first connect waits for a server too (`waitOnFirstConnect`),
 * so a gateway may start before NATS does.
 */
export async function connectNats(options: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers.split(',').map((server) => server.trim()),
    name: options.name,
    ...(options.user === undefined ? {} : { user: options.user }),
    ...(options.pass === undefined ? {} : { pass: options.pass }),
    ...(options.token === undefined ? {} : { token: options.token }),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
    timeout: 5_000,
    // By default every request builds two Error objects with stack traces up front, in case it
    // fails: 10% of the gateway's CPU at intake. Our errors are mapped and logged where they land.
    noAsyncTraces: true,
  });
}

export type ConnectionState = 'connected' | 'disconnected' | 'closed';

/**
 * Follows the connection's status so that callers can refuse work at once while NATS is away —
 * a request issued while disconnected would otherwise wait out its whole timeout.
 */
export class ConnectionTracker {
  #state: ConnectionState = 'connected';

  constructor(
    private readonly connection: NatsConnection,
    private readonly onChange: (state: ConnectionState) => void = () => undefined,
  ) {
    void this.follow();
  }

  get connected(): boolean {
    return this.#state === 'connected';
  }

  private async follow(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect' || status.type === 'reconnecting' || status.type === 'staleConnection') this.set('disconnected');
      else if (status.type === 'reconnect') this.set('connected');
      else if (status.type === 'close') this.set('closed');
    }
    this.set('closed');
  }

  private set(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.onChange(state);
  }
}
