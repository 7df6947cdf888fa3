import { spawn } from 'node:child_process';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { GATEWAY_MAIN } from './paths.ts';
import { ServiceProcess } from './service-process.ts';

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
  readonly url: string;
  private readonly service: ServiceProcess;

  private constructor(url: string, service: ServiceProcess) {
    this.url = url;
    this.service = service;
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
    const gateway = new TestGateway(`http://127.0.0.1:${port}`, new ServiceProcess(child));
    try {
      await gateway.waitUntil(options.waitFor ?? '/readyz', 30_000);
    } catch (error) {
      // A suite whose start failed has nothing to stop in its afterAll: leave no process behind.
      await gateway.stop('SIGKILL');
      throw error;
    }
    return gateway;
  }

  get output(): string {
    return this.service.output;
  }

  async waitUntil(path: string, timeoutMs: number, expectedStatus = 200): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.service.running) throw new Error(`gateway exited:\n${this.service.output}`);
      const status = await fetch(`${this.url}${path}`).then((response) => response.status, () => 0);
      if (status === expectedStatus) return;
      if (Date.now() > deadline) throw new Error(`gateway ${path} never answered ${expectedStatus}:\n${this.service.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Signals the process unless it has already exited (a kill -9 included), and waits for its exit. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    return this.service.signal(signal);
  }
}
