import { Api } from './api.ts';
import { TestController } from './controller.ts';
import { TEST_KEYS, TestGateway } from './gateway.ts';
import { TestNats } from './nats.ts';
import { TEST_CATALOG } from './paths.ts';

export interface SystemOptions {
  readonly controllerEnv?: Record<string, string>;
  readonly gatewayEnv?: Record<string, string>;
}

/** The whole system for an end-to-end suite: nats-server, a gateway and a controller, as processes. */
export class FerrySystem {
  readonly nats: TestNats;
  readonly gateway: TestGateway;
  controller: TestController;
  private readonly controllerEnv: Record<string, string>;

  private constructor(nats: TestNats, gateway: TestGateway, controller: TestController, controllerEnv: Record<string, string>) {
    this.nats = nats;
    this.gateway = gateway;
    this.controller = controller;
    this.controllerEnv = controllerEnv;
  }

  static async start(options: SystemOptions = {}): Promise<FerrySystem> {
    const nats = await TestNats.start();
    // The gateway judges submissions by the same catalog the controller runs.
    const gateway = await TestGateway.start({ natsUrl: nats.url, env: { FERRY_PIPELINES: TEST_CATALOG, ...options.gatewayEnv } }).catch(async (error: unknown) => {
      await nats.dispose();
      throw error;
    });
    const controllerEnv = options.controllerEnv ?? {};
    const controller = TestController.start({ natsUrl: nats.url, gatewayUrl: gateway.url, env: controllerEnv });
    return new FerrySystem(nats, gateway, controller, controllerEnv);
  }

  api(key: string = TEST_KEYS.acme): Api {
    return new Api(this.gateway.url, key);
  }

  /** Starts another controller on the same NATS and gateway (after a kill, or as a second one). */
  startController(env: Record<string, string> = {}): TestController {
    return TestController.start({ natsUrl: this.nats.url, gatewayUrl: this.gateway.url, env: { ...this.controllerEnv, ...env } });
  }

  async stop(): Promise<void> {
    await this.controller.kill();
    await this.gateway.stop();
    await this.nats.dispose();
  }
}

/** Polls a job until `done(job)` holds; fails with the last job seen. */
export async function waitForJob(api: Api, id: string, done: (job: any) => boolean, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let job: any;
  for (;;) {
    job = (await api.get(`/v1/jobs/${id}`)).body;
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not get there in time: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const isFinal = (job: { state: string }): boolean => ['succeeded', 'failed', 'cancelled'].includes(job.state);
