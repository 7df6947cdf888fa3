import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface NatsConnectOptions {
  readonly servers: string;
  /** Shown in the server's connection list (`nats server report connections`). */
  readonly name: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
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
