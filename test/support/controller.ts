import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_RESULT_SECRET } from './gateway.ts';
import { CONTROLLER_MAIN, REPO_ROOT, TEST_CATALOG } from './paths.ts';
import { ServiceProcess } from './service-process.ts';

/** Shared by every test controller, as by every controller of one machine. */
export const TEST_EXIT_RECORD_DIR = join(tmpdir(), 'ferry-test-exit-records');

export interface ControllerOptions {
  readonly natsUrl: string;
  readonly gatewayUrl: string;
  readonly env?: Record<string, string>;
}

/**
 * A real controller process (built `dist/`) with the local executor, tuned for tests: fast retries,
 * a short stop grace and lease, the test catalog (which adds a container pipeline).
 */
export class TestController {
  private readonly service: ServiceProcess;

  private constructor(service: ServiceProcess) {
    this.service = service;
  }

  static start(options: ControllerOptions): TestController {
    const child = spawn(process.execPath, [CONTROLLER_MAIN], {
      env: {
        ...process.env,
        NATS_URL: options.natsUrl,
        FERRY_GATEWAY_URL: options.gatewayUrl,
        FERRY_RESULT_SECRET: TEST_RESULT_SECRET,
        FERRY_PIPELINES: TEST_CATALOG,
        // The test catalog's container pipeline is the tests' own script.
        FERRY_LOCAL_CONTAINER_PIPELINES: 'trusted',
        FERRY_DATA_DIR: `${REPO_ROOT}/data`,
        FERRY_EXIT_RECORD_DIR: TEST_EXIT_RECORD_DIR,
        FERRY_RETRY_BASE_SECONDS: '0.2',
        FERRY_RETRY_MAX_SECONDS: '1',
        FERRY_STOP_GRACE_SECONDS: '2',
        FERRY_LEASE_SECONDS: '3',
        FERRY_RESYNC_SECONDS: '2',
        FERRY_PROGRESS_INTERVAL_MS: '50',
        // The tests' fixture servers listen on loopback.
        FERRY_SOURCE_ALLOW_LOOPBACK: 'true',
        LOG_LEVEL: 'warn',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new TestController(new ServiceProcess(child));
  }

  /** The exit code, `null` when a signal ended it. */
  get exited(): Promise<number | null> {
    return this.service.exited;
  }

  /** For /proc readings (CPU time, peak memory) in the benches. */
  get pid(): number | undefined {
    return this.service.pid;
  }

  get output(): string {
    return this.service.output;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    return this.service.signal(signal);
  }
}
