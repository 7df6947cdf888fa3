import { Api } from '../support/api.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';
import { eventually } from '../support/eventually.ts';

let nats: TestNats;
let gateway: TestGateway;
let acme: Api;

beforeAll(async () => {
  nats = await TestNats.start();
  gateway = await TestGateway.start({ natsUrl: nats.url });
  acme = new Api(gateway.url, TEST_KEYS.acme);
});
afterAll(async () => {
  await gateway?.stop();
  await nats?.dispose();
});

describe('NATS outage', () => {
  it('answers 503 with Retry-After while NATS is down, never a 202, and recovers when it returns', async () => {
    const before = await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } });
    expect(before.status).toBe(202);

    await nats.stop('SIGKILL');
    const down = await eventually('a 503 once the gateway sees NATS gone', async () => {
      const answer = await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } });
      expect(answer.status).not.toBe(202);
      return answer.status === 503 ? answer : undefined;
    }, 10_000);
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(down.body.type).toBe('urn:ferry:problem:unavailable');
    expect((await acme.get(`/v1/jobs/${before.body.id}`)).status).toBe(503);
    // Still ready (every replica shares the outage; failing them all would empty the Service), and says why.
    const ready = await acme.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', nats: expect.stringMatching(/lost/) });
    expect((await acme.get('/metrics')).text).toMatch(/^ferry_nats_connected 0$/m);
    // Liveness does not depend on NATS, and public routes keep working.
    expect((await acme.get('/healthz')).status).toBe(200);
    expect((await acme.get('/')).status).toBe(200);
    // Validation still answers 4xx without NATS.
    expect((await acme.post('/v1/jobs', { pipeline: 'sleep', extra: 1 })).status).toBe(400);

    await nats.resume();
    await eventually('the gateway ready again', async () => ((await acme.get('/readyz')).body.status === 'ready' ? true : undefined), 20_000);
    expect((await acme.get('/metrics')).text).toMatch(/^ferry_nats_connected 1$/m);
    const after = await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } });
    expect(after.status).toBe(202);
    // What was acknowledged before the outage is still there.
    expect((await acme.get(`/v1/jobs/${before.body.id}`)).body).toEqual(before.body);
  });

  it('a gateway started while NATS is down serves probes, answers 503, and becomes ready when NATS arrives', async () => {
    await nats.stop();
    const late = await TestGateway.start({ natsUrl: nats.url, waitFor: '/healthz' });
    try {
      const api = new Api(late.url, TEST_KEYS.acme);
      const ready = await api.get('/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.nats).toMatch(/connecting/);
      expect((await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } })).status).toBe(503);
      await nats.resume();
      await late.waitUntil('/readyz', 20_000, 200);
      expect((await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } })).status).toBe(202);
    } finally {
      await late.stop();
    }
  });
});
