import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import Fastify, { type FastifyInstance } from 'fastify';
import { FerryError, createQueuedJob, jobKey, signAttemptToken, transitionJob, type Job, type TenantUsage } from '@ferry/contracts';
import { MemoryJobStore } from '@ferry/nats/testing';
import { sendProblem } from '../http/problem.reply.js';
import { TenantQuotas } from '../quotas/tenant-quotas.js';
import { registerResultUpload, type UploadStores } from './result-upload.route.js';

const SECRET = 'a-result-secret-of-enough-length-0123456789';
const NOW = new Date('2030-01-01T00:05:00Z');
const ID = '01jq0000000000000000000001';

/** The stores an upload works through, over maps. */
class FakeStores {
  readonly jobs = new MemoryJobStore();
  readonly usage = new Map<string, TenantUsage>();
  readonly claims = new Set<string>();
  readonly objects = new Map<string, Buffer>();
  readonly events: string[] = [];

  readonly port: UploadStores = {
    jobs: this.jobs,
    results: {
      claim: (tenant, jobId, attempt) => {
        const key = `${tenant}.${jobId}.${attempt}`;
        if (this.claims.has(key)) return Promise.resolve(false);
        this.claims.add(key);
        return Promise.resolve(true);
      },
      release: () => Promise.resolve(),
      put: async (tenant, jobId, attempt, _contentType, data) => {
        const bytes = await buffer(data);
        this.objects.set(`${tenant}.${jobId}.${attempt}`, bytes);
        return { bytes: bytes.length, digest: '' };
      },
    },
    events: { publish: (type, job) => Promise.resolve(this.events.push(`${type} attempt ${job.attempt}`)) },
  };

  running(attempt: number): Job {
    let job = createQueuedJob({ id: ID, tenant: 'acme', pipeline: 'sleep', params: {}, labels: {}, maxAttempts: 3, timeoutSeconds: 60, startDeadlineSeconds: 60, now: new Date('2030-01-01T00:00:00Z') });
    for (let next = 1; next <= attempt; next += 1) job = transitionJob(transitionJob(job, { state: 'starting', attempt: next }, NOW), { state: 'running' }, NOW);
    this.jobs.put(job);
    return job;
  }
}

async function gateway(stores: FakeStores, configured: { secret: string | undefined } = { secret: SECRET }): Promise<FastifyInstance> {
  const app = Fastify();
  app.setErrorHandler((error, _request, reply) => sendProblem(reply, error instanceof FerryError ? error : undefined));
  const quotas = new TenantQuotas({ stores: () => ({ usage: { get: (tenant) => Promise.resolve(stores.usage.get(tenant)) } }) }, { jobs: 100, bytes: 1_000 });
  registerResultUpload(app, { stores: () => stores.port }, { secret: configured.secret, maxBytes: 64, quotas, clock: () => NOW });
  await app.ready();
  return app;
}

function upload(app: FastifyInstance, attempt: string, token: string, body = 'a,b\n1,2\n', contentType = 'text/csv') {
  return app.inject({
    method: 'PUT',
    url: `/internal/v1/results/acme/${ID}/${attempt}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'ferry-result-rows': '1' },
    payload: body,
  });
}

describe('the result upload route (against fakes of its stores)', () => {
  it('stores the attempt’s result, records its type, size, rows and hash at the clock’s time, and announces it', async () => {
    const stores = new FakeStores();
    stores.running(1);
    const app = await gateway(stores);
    const answer = await upload(app, '1', signAttemptToken(SECRET, 'acme', ID, 1));
    expect(answer.statusCode).toBe(201);
    const sha256 = createHash('sha256').update('a,b\n1,2\n').digest('hex');
    expect(answer.json()).toEqual({ contentType: 'text/csv', bytes: 8, rows: 1, sha256 });
    expect(stores.objects.get(`acme.${ID}.1`)?.toString()).toBe('a,b\n1,2\n');
    expect(stores.jobs.records.get(jobKey('acme', ID))?.job).toMatchObject({ result: { bytes: 8, sha256 }, updatedAt: NOW.toISOString() });
    expect(stores.events).toEqual(['result attempt 1']);
    expect((await upload(app, '1', signAttemptToken(SECRET, 'acme', ID, 1))).statusCode).toBe(409);
  });

  it('files a `current` upload under the record’s attempt, with the current token only', async () => {
    const stores = new FakeStores();
    stores.running(2);
    const app = await gateway(stores);
    expect((await upload(app, 'current', signAttemptToken(SECRET, 'acme', ID, 2))).statusCode).toBe(401);
    expect((await upload(app, 'current', signAttemptToken(SECRET, 'acme', ID, 'current'))).statusCode).toBe(201);
    expect([...stores.objects.keys()]).toEqual([`acme.${ID}.2`]);
  });

  it.each([
    ['attempt 0 (no attempt)', '0', () => signAttemptToken(SECRET, 'acme', ID, 0), 404],
    ['another attempt’s token', '2', () => signAttemptToken(SECRET, 'acme', ID, 1), 401],
    ['a stale attempt', '1', () => signAttemptToken(SECRET, 'acme', ID, 1), 409],
    ['a type that is no result type', '2', () => signAttemptToken(SECRET, 'acme', ID, 2), 415, 'text/html'],
    ['a body over the limit', '2', () => signAttemptToken(SECRET, 'acme', ID, 2), 413, 'text/csv', 'x'.repeat(65)],
  ])('refuses %s and changes nothing', async (_name, attempt, token, status, contentType = 'text/csv', body = 'a\n') => {
    const stores = new FakeStores();
    const before = stores.running(2);
    const app = await gateway(stores);
    const answer = await upload(app, attempt, token(), body, contentType);
    expect(answer.statusCode).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stores.jobs.records.get(jobKey('acme', ID))?.job).toEqual(before);
    expect(stores.objects.size + stores.events.length).toBe(0);
  });

  it('refuses a result while its tenant is at the bytes quota (507, naming it), and stores nothing', async () => {
    const stores = new FakeStores();
    stores.running(1);
    stores.usage.set('acme', { jobs: 3, bytes: 1_000, countedAt: NOW.toISOString() });
    const app = await gateway(stores);
    const answer = await upload(app, '1', signAttemptToken(SECRET, 'acme', ID, 1));
    expect(answer.statusCode).toBe(507);
    expect(answer.json()).toMatchObject({ type: 'urn:ferry:problem:quota_exceeded', detail: expect.stringContaining('FERRY_TENANT_MAX_BYTES') });
    expect(stores.objects.size).toBe(0);
    expect(stores.claims.size).toBe(0);
  });

  it('refuses every upload while no secret is configured', async () => {
    const stores = new FakeStores();
    stores.running(1);
    const app = await gateway(stores, { secret: undefined });
    expect((await upload(app, '1', signAttemptToken(SECRET, 'acme', ID, 1))).statusCode).toBe(401);
  });
});
