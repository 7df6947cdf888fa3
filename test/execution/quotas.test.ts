import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';
import { Api } from '../support/api.ts';
import { HttpFixture } from '../support/http-fixture.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

const JOBS_QUOTA = 12;
const BYTES_QUOTA = 64 * 1024;

async function usage(api: Api): Promise<{ jobs: number; bytes: number; quota: { jobs: number; bytes: number } }> {
  const answer = await api.get('/v1/usage');
  expect(answer.status).toBe(200);
  return answer.body;
}

describe('per-tenant quotas (docs/decisions/0016-tenant-quotas.md)', () => {
  let system: FerrySystem;
  let fixture: HttpFixture;
  beforeAll(async () => {
    // About 100 KB of CSV: a result over the 64 KiB bytes quota once it is stored.
    const rows = Array.from({ length: 3_000 }, (_unused, index) => `${index},${'h'.repeat(28)}`);
    fixture = await HttpFixture.start({ '/big.csv': { contentType: 'text/csv', body: `n,h\n${rows.join('\n')}\n` } });
    const quotas = { FERRY_TENANT_MAX_JOBS: String(JOBS_QUOTA), FERRY_TENANT_MAX_BYTES: String(BYTES_QUOTA), FERRY_RATE_LIMIT: '0' };
    system = await FerrySystem.start({ gatewayEnv: quotas });
  });
  afterAll(async () => {
    await system?.stop();
    await fixture?.stop();
  });

  it('refuses a tenant at its jobs quota with a 507 problem naming the quota, while another tenant keeps submitting', async () => {
    const acme = system.api(TEST_KEYS.acme);
    const globex = system.api(TEST_KEYS.globex);
    const ids: string[] = [];
    for (let index = 0; index < JOBS_QUOTA; index += 1) {
      const answer = await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0 } });
      expect(answer.status).toBe(202);
      ids.push(answer.body.id);
    }
    // The controller counts the records it reads and publishes the count within a second or two.
    await vi.waitFor(async () => expect((await usage(acme)).jobs).toBe(JOBS_QUOTA), { timeout: 15_000, interval: 200 });

    const refused = await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0 } });
    expect(refused.status).toBe(507);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:ferry:problem:quota_exceeded', status: 507 });
    expect(refused.body.detail).toContain(`its quota of ${JOBS_QUOTA} (FERRY_TENANT_MAX_JOBS)`);

    expect((await globex.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0 } })).status).toBe(202);
    expect((await acme.get('/v1/jobs?limit=100')).body.items).toHaveLength(JOBS_QUOTA);
    for (const id of ids) expect((await waitForJob(acme, id, isFinal)).state).toBe('succeeded');
    expect((await system.api().get('/readyz')).status).toBe(200);
    expect(await usage(acme)).toMatchObject({ quota: { jobs: JOBS_QUOTA, bytes: BYTES_QUOTA } });
  });

  it("counts a tenant's results against its bytes quota, then refuses its submissions (507, naming the quota)", async () => {
    const globex = system.api(TEST_KEYS.globex);
    const params = { sources: { big: { url: `${fixture.url}/big.csv`, format: 'csv' } }, sql: 'SELECT * FROM big' };
    const job = (await globex.post('/v1/jobs', { pipeline: 'sql', params })).body;
    const done = await waitForJob(globex, job.id, isFinal, 60_000);
    expect(done).toMatchObject({ state: 'succeeded' });
    expect(done.result.bytes).toBeGreaterThan(BYTES_QUOTA);
    await vi.waitFor(async () => expect((await usage(globex)).bytes).toBeGreaterThan(done.result.bytes), { timeout: 15_000, interval: 200 });

    const refused = await globex.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0 } });
    expect(refused.status).toBe(507);
    expect(refused.body.type).toBe('urn:ferry:problem:quota_exceeded');
    expect(refused.body.detail).toContain('FERRY_TENANT_MAX_BYTES');
    // Its stored result is still served.
    expect((await globex.get(`/v1/jobs/${job.id}/result`)).status).toBe(200);
  });
});

describe('a shared store that is full', () => {
  let nats: TestNats;
  let gateway: TestGateway;
  const STORE = String(256 * 1024 ** 2);
  beforeAll(async () => {
    nats = await TestNats.start();
    gateway = await TestGateway.start({
      natsUrl: nats.url,
      env: { FERRY_NATS_STORE_BYTES: STORE, FERRY_RATE_LIMIT: '0', FERRY_TENANT_MAX_JOBS: '1000000', FERRY_TENANT_MAX_BYTES: String(1024 ** 4) },
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await nats?.dispose();
  });

  it('refuses writes with a 507 storage_full problem and a Retry-After, loses no accepted job, and keeps serving reads', async () => {
    const acme = new Api(gateway.url, TEST_KEYS.acme);
    // Records of about 41 KB (the most a job may carry): the jobs bucket's share of a 256 MiB store holds under 1,000.
    const labels = Object.fromEntries(Array.from({ length: 32 }, (_unused, index) => [`label-${index}`, 'x'.repeat(256)]));
    const source = { t: { url: 'https://example.org/t.csv', format: 'csv' } };
    const heavy = { pipeline: 'sql', params: { sources: source, sql: `SELECT 1 -- ${'x'.repeat(32_000)}` }, labels };
    const accepted: string[] = [];
    let refused: Awaited<ReturnType<Api['post']>> | undefined;
    for (let index = 0; index < 3_000 && refused === undefined; index += 1) {
      const answer = await acme.post('/v1/jobs', heavy);
      if (answer.status === 202) accepted.push(answer.body.id);
      else refused = answer;
    }
    expect(accepted.length, JSON.stringify(refused?.body)).toBeGreaterThan(500);
    expect(refused?.status).toBe(507);
    expect(refused?.body).toMatchObject({ type: 'urn:ferry:problem:storage_full', status: 507 });
    expect(refused?.headers.get('retry-after')).toBe('60');

    // Every tenant shares the store, so globex's record finds no room either; nothing accepted is lost, reads still work.
    expect((await new Api(gateway.url, TEST_KEYS.globex).post('/v1/jobs', heavy)).status).toBe(507);
    const readable = await Promise.all(accepted.map(async (id) => (await acme.get(`/v1/jobs/${id}`)).status));
    expect(readable.filter((status) => status !== 200)).toEqual([]);
    expect((await acme.get('/v1/jobs?limit=10')).status).toBe(200);
    expect((await acme.get('/readyz')).status).toBe(200);
  });
});
