import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { DEFAULT_TOPOLOGY, kvStreamName, objectStoreStreamName } from '@ferry/nats';
import { TestController } from '../support/controller.ts';
import { TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';

const HOUR = 3_600;
const SETTINGS = { FERRY_RETENTION_SECONDS: String(HOUR), FERRY_IDEMPOTENCY_TTL_SECONDS: '120' };

/** Max age in seconds of each stream the settings decide. */
async function maxAges(jsm: JetStreamManager): Promise<Record<string, number>> {
  const streams = [
    DEFAULT_TOPOLOGY.eventsStream,
    DEFAULT_TOPOLOGY.logsStream,
    DEFAULT_TOPOLOGY.listIndexStream,
    kvStreamName(DEFAULT_TOPOLOGY.idempotencyBucket),
    objectStoreStreamName(DEFAULT_TOPOLOGY.resultsBucket),
  ];
  const ages: Record<string, number> = {};
  for (const stream of streams) ages[stream] = (await jsm.streams.info(stream)).config.max_age / 1e9;
  return ages;
}

const EXPECTED = {
  [DEFAULT_TOPOLOGY.eventsStream]: HOUR,
  [DEFAULT_TOPOLOGY.logsStream]: HOUR,
  [DEFAULT_TOPOLOGY.listIndexStream]: HOUR + 86_400,
  [kvStreamName(DEFAULT_TOPOLOGY.idempotencyBucket)]: 120,
  [objectStoreStreamName(DEFAULT_TOPOLOGY.resultsBucket)]: HOUR,
};

/** Until the controller has ensured the topology: its durable consumer exists right after. */
async function controllerReady(jsm: JetStreamManager): Promise<void> {
  await vi.waitFor(() => jsm.consumers.info(kvStreamName(DEFAULT_TOPOLOGY.jobsBucket), DEFAULT_TOPOLOGY.controllerConsumer), { timeout: 20_000, interval: 200 });
}

describe('one topology from one configuration, whichever process starts first', () => {
  it.each([['gateway', 'controller'] as const, ['controller', 'gateway'] as const])('%s then %s: the streams end with the configured limits', async (first, second) => {
    const nats = await TestNats.start();
    let connection: NatsConnection | undefined;
    let gateway: TestGateway | undefined;
    let controller: TestController | undefined;
    try {
      connection = await connect({ servers: nats.url });
      const jsm = await jetstreamManager(connection);
      const start = async (which: 'gateway' | 'controller'): Promise<void> => {
        if (which === 'gateway') {
          gateway = await TestGateway.start({ natsUrl: nats.url, env: SETTINGS });
        } else {
          controller = TestController.start({ natsUrl: nats.url, gatewayUrl: 'http://127.0.0.1:9', env: SETTINGS });
          await controllerReady(jsm);
        }
      };
      await start(first);
      await start(second);
      expect(await maxAges(jsm)).toEqual(EXPECTED);

      // A changed setting is applied to the existing bucket, not ignored.
      await gateway?.stop();
      gateway = await TestGateway.start({ natsUrl: nats.url, env: { ...SETTINGS, FERRY_IDEMPOTENCY_TTL_SECONDS: '300' } });
      expect((await maxAges(jsm))[kvStreamName(DEFAULT_TOPOLOGY.idempotencyBucket)]).toBe(300);
    } finally {
      await controller?.kill();
      await gateway?.stop();
      await connection?.close();
      await nats.dispose();
    }
  });
});
