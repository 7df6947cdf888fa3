import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Api } from '../support/api.ts';
import { TestController } from '../support/controller.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';
import { TEST_CATALOG } from '../support/paths.ts';
import { ledgerRunnerCommand } from './completion-ledger.ts';

/**
 * The system a fault test breaks: one nats-server, two gateways (a client spreads submissions over
 * both) and one controller whose runners write every exit to a ledger. Any part can be killed and
 * replaced; `stop()` ends whatever is still running.
 */
export class FaultCluster {
  readonly nats: TestNats;
  readonly gateways: TestGateway[];
  controller: TestController;
  readonly ledger: string;
  private readonly workDir: string;
  private readonly controllerEnv: Record<string, string>;

  private constructor(nats: TestNats, gateways: TestGateway[], workDir: string, controllerEnv: Record<string, string>) {
    this.nats = nats;
    this.gateways = gateways;
    this.workDir = workDir;
    this.ledger = join(workDir, 'completions.ndjson');
    this.controllerEnv = controllerEnv;
    this.controller = this.startController();
  }

  static async start(controllerEnv: Record<string, string> = {}): Promise<FaultCluster> {
    const nats = await TestNats.start();
    const gateways = await Promise.all([startGateway(nats.url), startGateway(nats.url)]);
    const workDir = await mkdtemp(join(tmpdir(), 'ferry-faults-'));
    return new FaultCluster(nats, gateways, workDir, controllerEnv);
  }

  /** A client of the first live gateway, for reads (the checker's polling). */
  api(): Api {
    const gateway = this.gateways[0];
    if (gateway === undefined) throw new Error('no gateway');
    return new Api(gateway.url, TEST_KEYS.acme);
  }

  /**
   * A new controller process. Runners reach the first gateway for result uploads; the load's
   * pipelines (sleep, fail) upload nothing, so a killed gateway costs them nothing there.
   */
  startController(): TestController {
    const gateway = this.gateways[0];
    if (gateway === undefined) throw new Error('no gateway');
    return TestController.start({
      natsUrl: this.nats.url,
      gatewayUrl: gateway.url,
      // A short ack wait: the SIGSTOP fault pauses the controller past it, and waits that long.
      env: { FERRY_RUNNER_COMMAND: ledgerRunnerCommand(this.ledger), FERRY_ACK_WAIT_SECONDS: '8', ...this.controllerEnv },
    });
  }

  /** Starts a gateway on the same NATS in place of `index` (which must be dead); returns the new one. */
  async replaceGateway(index: number): Promise<TestGateway> {
    const gateway = await startGateway(this.nats.url);
    this.gateways[index] = gateway;
    return gateway;
  }

  /** Ends everything, also after a test that failed halfway (a paused controller, a killed gateway). */
  async stop(): Promise<void> {
    // kill() resolves when the process exits, which SIGCONT does not make it do.
    void this.controller.kill('SIGCONT');
    await withTimeout(this.controller.kill('SIGTERM'), 15_000);
    await this.controller.kill('SIGKILL');
    await Promise.all(this.gateways.map((gateway) => gateway.stop()));
    await this.nats.dispose();
    await rm(this.workDir, { recursive: true, force: true });
  }
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(() => clearTimeout(timer));
}

function startGateway(natsUrl: string): Promise<TestGateway> {
  // The gateways judge submissions by the catalog the controller runs.
  return TestGateway.start({ natsUrl, env: { FERRY_PIPELINES: TEST_CATALOG } });
}
