import { TestController } from '../support/controller.ts';
import { TestNats } from '../support/nats.ts';

let nats: TestNats;

beforeAll(async () => {
  nats = await TestNats.start();
});
afterAll(async () => {
  await nats?.dispose();
});

describe('container pipelines under the local executor', () => {
  it("are refused by default: the controller stops at start, naming them and the switch, since they would run as its own user", async () => {
    const controller = TestController.start({ natsUrl: nats.url, gatewayUrl: 'http://127.0.0.1:1', env: { FERRY_LOCAL_CONTAINER_PIPELINES: 'refuse' } });
    expect(await controller.exited).toBe(1);
    expect(controller.output).toContain('the catalog has container pipelines (shout)');
    expect(controller.output).toContain('FERRY_LOCAL_CONTAINER_PIPELINES=trusted');
  });

  it('run when the operator says they are trusted, and every start says in the log what that grants', async () => {
    const controller = TestController.start({ natsUrl: nats.url, gatewayUrl: 'http://127.0.0.1:1' });
    try {
      await vi.waitFor(() => expect(controller.output).toContain("container pipelines run as this controller's user, with its secrets, network and files"), {
        timeout: 15_000,
      });
    } finally {
      await controller.kill();
    }
  });
});
