import { Api } from '../support/api.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';
import { openSse } from '../support/sse.ts';

let nats: TestNats;

beforeAll(async () => {
  nats = await TestNats.start();
});
afterAll(async () => {
  await nats?.dispose();
});

describe('graceful shutdown', () => {
  it('on SIGTERM ends open SSE streams, stops listening and exits 0', async () => {
    const gateway = await TestGateway.start({ natsUrl: nats.url });
    const acme = new Api(gateway.url, TEST_KEYS.acme);
    const { body: job } = await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 60 } });
    const sse = await openSse(`${gateway.url}/v1/jobs/${job.id}/events`, { authorization: `Bearer ${TEST_KEYS.acme}` });
    expect((await sse.next())?.event).toBe('state');

    const started = Date.now();
    const exitCode = await gateway.stop('SIGTERM');
    expect(exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await sse.next()).toBeUndefined();
    await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
  });
});
