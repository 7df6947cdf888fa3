import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { GATEWAY_MAIN } from './paths.ts';

/** Shared by every test gateway and controller: signs and checks per-attempt result tokens. */
export const TEST_RESULT_SECRET = 'test-result-secret-0123456789abcdef0123456789';

export const TEST_KEYS = {
  acme: 'acme-key-0123456789abcdef',
  globex: 'globex-key-0123456789abcdef',
} as const;

export interface GatewayOptions {
  readonly natsUrl: string;
  readonly env?: Record<string, string>;
  /** The probe start() waits for: `/readyz` (default) or `/healthz` when NATS is meant to be away. */
  readonly waitFor?: '/readyz' | '/healthz';
}

/** A real gateway process on a free port, as deployed (built `dist/`), with two tenants' keys. */
export class TestGateway {
  #output = '';

  readonly url: string;
  /** The exit code, `null` when a signal ended it. */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(url: string, child: ChildProcess) {
    this.url = url;
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static async start(options: GatewayOptions): Promise<TestGateway> {
    const port = await freePort();
    const child = spawn(process.execPath, [GATEWAY_MAIN], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        NATS_URL: options.natsUrl,
        FERRY_API_KEYS: `acme:${TEST_KEYS.acme},globex:${TEST_KEYS.globex}`,
        FERRY_RATE_LIMIT: '0',
        FERRY_RESULT_SECRET: TEST_RESULT_SECRET,
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gateway = new TestGateway(`http://127.0.0.1:${port}`, child);
    await gateway.waitUntil(options.waitFor ?? '/readyz', 30_000);
    return gateway;
  }

  get output(): string {
    return this.#output;
  }

  async waitUntil(path: string, timeoutMs: number, expectedStatus = 200): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`gateway exited (${this.child.exitCode}):\n${this.#output}`);
      const status = await fetch(`${this.url}${path}`).then((response) => response.status, () => 0);
      if (status === expectedStatus) return;
      if (Date.now() > deadline) throw new Error(`gateway ${path} never answered ${expectedStatus}:\n${this.#output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Signals the process unless it has already exited (a kill -9 included), and waits for its exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  private capture(chunk: Buffer): void {
    if (this.#output.length < 256 * 1024) this.#output += chunk.toString();
  }
}
