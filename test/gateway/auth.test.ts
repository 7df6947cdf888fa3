import { Api } from '../support/api.ts';
import { TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';

let nats: TestNats;

beforeAll(async () => {
  nats = await TestNats.start();
});
afterAll(async () => {
  await nats?.dispose();
});

describe('auth off', () => {
  it('refuses to start on an address other machines reach', async () => {
    await expect(TestGateway.start({ natsUrl: nats.url, env: { FERRY_AUTH: 'off', FERRY_API_KEYS: '', HOST: '0.0.0.0' } })).rejects.toThrow(
      /FERRY_AUTH=off listens on 0\.0\.0\.0/,
    );
  });

  it('refuses to start with keys it would ignore', async () => {
    await expect(TestGateway.start({ natsUrl: nats.url, env: { FERRY_AUTH: 'off' } })).rejects.toThrow(/keys would be ignored/);
  });

  it('on loopback serves without a key, as tenant default, and says so in the log', async () => {
    const gateway = await TestGateway.start({ natsUrl: nats.url, env: { FERRY_AUTH: 'off', FERRY_API_KEYS: '' } });
    try {
      const { body: job } = await new Api(gateway.url).post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } });
      expect(job.tenant).toBe('default');
      expect(gateway.output).toContain('FERRY_AUTH=off: every request is tenant');
    } finally {
      await gateway.stop();
    }
  });
});

describe('requests without a valid key', () => {
  it('are rate limited per address: past the burst a 429, not another 401', async () => {
    const gateway = await TestGateway.start({ natsUrl: nats.url, env: { FERRY_RATE_LIMIT: '1', FERRY_RATE_BURST: '10' } });
    try {
      const guesser = new Api(gateway.url, 'a-guessed-key-0123456789');
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 30; attempt += 1) statuses.push((await guesser.get('/v1/jobs')).status);
      expect(statuses.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => 401));
      expect(statuses.slice(12)).toEqual(Array.from({ length: 18 }, () => 429));
    } finally {
      await gateway.stop();
    }
  });
});
