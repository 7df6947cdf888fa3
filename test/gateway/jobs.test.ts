import { Api } from '../support/api.ts';
import { LIST_LIMIT } from '@ferry/contracts';
import { ControllerDouble } from '../support/controller-double.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { listJobIds } from '../support/jobs.ts';
import { TestNats } from '../support/nats.ts';

let nats: TestNats;
let gateway: TestGateway;
let controller: ControllerDouble;
let acme: Api;
let globex: Api;

const sleepJob = (seconds = 1, extra: Record<string, unknown> = {}) => ({ pipeline: 'sleep', params: { seconds }, ...extra });

beforeAll(async () => {
  nats = await TestNats.start();
  gateway = await TestGateway.start({ natsUrl: nats.url });
  controller = await ControllerDouble.connect(nats.url);
  acme = new Api(gateway.url, TEST_KEYS.acme);
  globex = new Api(gateway.url, TEST_KEYS.globex);
});
afterAll(async () => {
  await controller?.close();
  await gateway?.stop();
  await nats?.dispose();
});

describe('POST /v1/jobs', () => {
  it('answers 202 with Location and the queued job, resolved against the pipeline defaults', async () => {
    const response = await acme.post('/v1/jobs', sleepJob(2, { labels: { team: 'data' } }));
    expect(response.status).toBe(202);
    const job = response.body;
    expect(response.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      tenant: 'acme',
      pipeline: 'sleep',
      params: { seconds: 2 },
      labels: { team: 'data' },
      state: 'queued',
      attempt: 0,
      maxAttempts: 1,
      timeoutSeconds: 3600,
      startDeadlineSeconds: 600,
      cancelRequested: false,
      result: null,
    });
    expect(job.id).toMatch(/^[0-9a-z]{26}$/);
    const read = await acme.get(`/v1/jobs/${job.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(job);
  });

  it('records the job durably in the KV bucket the controller consumes', async () => {
    const { body: job } = await acme.post('/v1/jobs', sleepJob());
    const stored = await controller.jobs.get('acme', job.id);
    expect(stored?.job).toEqual(job);
  });

  it.each([
    ['an unknown field', { pipeline: 'sleep', params: { seconds: 1 }, colour: 'red' }, 'colour'],
    ['a wrong type', { pipeline: 'sleep', params: 'seconds=1' }, 'params'],
    ['a non-integer limit', { pipeline: 'sleep', params: { seconds: 1 }, maxAttempts: 'three' }, 'maxAttempts'],
    ['a missing pipeline', { params: { seconds: 1 } }, 'pipeline'],
    ['bad labels', { pipeline: 'sleep', params: { seconds: 1 }, labels: { team: 7 } }, 'labels'],
  ])('400 for %s', async (_what, body, field) => {
    const response = await acme.post('/v1/jobs', body);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body.type).toBe('urn:ferry:problem:invalid_request');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it.each([
    ['an unknown pipeline', { pipeline: 'teleport' }, 'pipeline'],
    ['params failing the schema', { pipeline: 'sleep', params: { seconds: -1 } }, 'params.seconds'],
    ['a missing required param', { pipeline: 'fail', params: {} }, 'params.exitCode'],
    ['an unknown param', { pipeline: 'sleep', params: { seconds: 1, extra: true } }, 'params.extra'],
    ['maxAttempts out of bounds', sleepJob(1, { maxAttempts: 11 }), 'maxAttempts'],
    ['timeoutSeconds out of bounds', sleepJob(1, { timeoutSeconds: 0 }), 'timeoutSeconds'],
    ['a limit past the pipeline maximum', { pipeline: 'sql', params: { sources: { t: { url: 'https://example.com/a.csv', format: 'csv' } }, sql: 'SELECT 1' }, timeoutSeconds: 90_000 }, 'timeoutSeconds'],
    // 24 URLs of 2,048 characters: each within its own bound, together over the 48 KiB a job may carry.
    ['params and labels over 48 KiB', { pipeline: 'sql', params: { sources: Object.fromEntries(Array.from({ length: 24 }, (_u, index) => [`t${index}`, { url: `https://example.com/${'a'.repeat(2_020)}`, format: 'csv' }])), sql: 'SELECT 1' } }, 'params'],
    ['SQL longer than 32,768 characters', { pipeline: 'sql', params: { sources: { t: { url: 'https://example.com/a.csv', format: 'csv' } }, sql: `SELECT 1 ${' '.repeat(32_768)}` } }, 'params.sql'],
  ])('422 for %s', async (_what, body, field) => {
    const response = await acme.post('/v1/jobs', body);
    expect(response.status).toBe(422);
    expect(response.body.type).toBe('urn:ferry:problem:unprocessable');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('413 for a body over the limit, 415 for a body that is not JSON', async () => {
    const huge = await acme.post('/v1/jobs', sleepJob(1, { labels: { big: 'x'.repeat(2 * 1024 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.type).toBe('urn:ferry:problem:payload_too_large');
    const text = await acme.request('POST', '/v1/jobs', { rawBody: 'pipeline=sleep', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    const none = await acme.request('POST', '/v1/jobs', {});
    expect(none.status).toBe(415);
  });

  it('a rejected submission changes nothing', async () => {
    const before = await listJobIds(acme);
    await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: -5 } });
    await acme.post('/v1/jobs', { pipeline: 'sleep', extra: 1 });
    expect(await listJobIds(acme)).toEqual(before);
  });
});

describe('auth and tenancy', () => {
  it('401 without a key or with an unknown key', async () => {
    const anonymous = acme.as(undefined);
    expect((await anonymous.get('/v1/jobs')).status).toBe(401);
    expect((await anonymous.post('/v1/jobs', sleepJob())).status).toBe(401);
    expect((await acme.as('not-a-key-at-all-really').get('/v1/pipelines')).status).toBe(401);
    expect((await anonymous.get('/v1/pipelines')).body.type).toBe('urn:ferry:problem:unauthorized');
  });

  it("another tenant's job is a 404 on every job route", async () => {
    const { body: job } = await acme.post('/v1/jobs', sleepJob());
    for (const path of [`/v1/jobs/${job.id}`, `/v1/jobs/${job.id}/events`, `/v1/jobs/${job.id}/logs`, `/v1/jobs/${job.id}/result`]) {
      expect((await globex.get(path)).status, path).toBe(404);
    }
    expect((await globex.post(`/v1/jobs/${job.id}/cancel`)).status).toBe(404);
    expect((await globex.get('/v1/jobs')).body.items.map((item: { id: string }) => item.id)).not.toContain(job.id);
  });

  it('a malformed job id is a 404', async () => {
    expect((await acme.get('/v1/jobs/..%2F..%2Fetc')).status).toBe(404);
    expect((await acme.get('/v1/jobs/UPPER')).status).toBe(404);
  });
});

describe('GET /v1/pipelines', () => {
  it('lists the catalog with params schemas and defaults', async () => {
    const response = await acme.get('/v1/pipelines');
    expect(response.status).toBe(200);
    const names = response.body.items.map((item: { name: string }) => item.name);
    expect(names).toEqual(expect.arrayContaining(['sql', 'sleep', 'fail']));
    const sleep = response.body.items.find((item: { name: string }) => item.name === 'sleep');
    expect(sleep.paramsSchema.required).toEqual(['seconds']);
    expect(sleep.defaults).toMatchObject({ maxAttempts: 1 });
  });
});

describe('POST /v1/jobs with keys validation would lose', () => {
  it('refuses keys named like Object.prototype members (constructor, toString, prototype, …) with 400, naming each', async () => {
    const before = (await listJobIds(acme)).length;
    const response = await acme.post('/v1/jobs', {
      pipeline: 'sleep',
      params: { seconds: 1, nested: { prototype: {} } },
      labels: { constructor: 'c', toString: 't', team: 'data' },
    });
    expect(response.status, response.text).toBe(400);
    expect(response.body.type).toBe('urn:ferry:problem:invalid_request');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['labels.constructor', 'labels.toString', 'params.nested.prototype']);
    expect(await listJobIds(acme)).toHaveLength(before);
  });
});

describe('GET /v1/jobs', () => {
  it('lists newest first, filters by state, pipeline and labels, and pages with a cursor', async () => {
    const tenant = new Api(gateway.url, TEST_KEYS.globex);
    const created: string[] = [];
    for (let index = 0; index < 7; index += 1) {
      const body = index % 2 === 0 ? sleepJob(1, { labels: { team: 'a', env: `e${index % 3}` } }) : { pipeline: 'fail', params: { exitCode: 2 }, labels: { team: 'b' } };
      created.push((await tenant.post('/v1/jobs', body)).body.id);
    }
    const all = await tenant.get('/v1/jobs');
    expect(all.body.items.map((job: { id: string }) => job.id)).toEqual([...created].reverse());
    expect(all.body.nextCursor).toBeNull();

    const first = await tenant.get('/v1/jobs?limit=3');
    expect(first.body.items).toHaveLength(3);
    expect(first.body.nextCursor).toMatch(/^[1-9][0-9]*$/);
    const second = await tenant.get(`/v1/jobs?limit=3&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((job: { id: string }) => job.id)).toEqual([created[3], created[2], created[1]]);
    const third = await tenant.get(`/v1/jobs?limit=3&cursor=${second.body.nextCursor}`);
    expect(third.body.items.map((job: { id: string }) => job.id)).toEqual([created[0]]);
    expect(third.body.nextCursor).toBeNull();

    const fails = await tenant.get('/v1/jobs?pipeline=fail');
    expect(fails.body.items).toHaveLength(3);
    const labelled = await tenant.get('/v1/jobs?label=team=a&label=env=e0');
    expect(labelled.body.items.map((job: { id: string }) => job.id)).toEqual([created[6], created[0]]);

    await controller.move('globex', created[2] ?? '', { state: 'cancelled', reason: 'Cancelled' });
    const cancelled = await tenant.get('/v1/jobs?state=cancelled');
    expect(cancelled.body.items.map((job: { id: string }) => job.id)).toEqual([created[2]]);
  });

  it('lists jobs without their params unless asked with include=params', async () => {
    const { body: job } = await acme.post('/v1/jobs', sleepJob(2));
    const summaries = await acme.get('/v1/jobs?limit=5');
    const summary = summaries.body.items.find((item: { id: string }) => item.id === job.id);
    expect(summary).toMatchObject({ id: job.id, state: 'queued' });
    expect(summary).not.toHaveProperty('params');
    const full = await acme.get('/v1/jobs?limit=5&include=params');
    expect(full.body.items.find((item: { id: string }) => item.id === job.id)).toMatchObject({ params: { seconds: 2 } });
  });

  it('filters on a label value that holds a line break, as it was stored', async () => {
    const { body: job } = await acme.post('/v1/jobs', sleepJob(1, { labels: { note: 'two\r\nlines' } }));
    const response = await acme.get(`/v1/jobs?label=${encodeURIComponent('note=two\r\nlines')}`);
    expect(response.status, response.text).toBe(200);
    expect(response.body.items.map((item: { id: string }) => item.id)).toEqual([job.id]);
  });

  it('400 for a bad filter', async () => {
    expect((await acme.get('/v1/jobs?state=sleeping')).status).toBe(400);
    expect((await acme.get(`/v1/jobs?limit=${LIST_LIMIT.max + 1}`)).status).toBe(400);
    expect((await acme.get('/v1/jobs?cursor=../x')).status).toBe(400);
    expect((await acme.get('/v1/jobs?cursor=01arz3ndektsv4rrffq69g5fav')).status).toBe(400);
    expect((await acme.get('/v1/jobs?label=novalue')).status).toBe(400);
  });
});

describe('POST /v1/jobs/{id}/cancel', () => {
  it('sets cancelRequested and answers 202; repeating it is harmless', async () => {
    const { body: job } = await acme.post('/v1/jobs', sleepJob());
    const first = await acme.post(`/v1/jobs/${job.id}/cancel`);
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ id: job.id, cancelRequested: true, state: 'queued' });
    const again = await acme.post(`/v1/jobs/${job.id}/cancel`);
    expect(again.status).toBe(202);
    expect((await controller.jobs.get('acme', job.id))?.job.cancelRequested).toBe(true);
  });

  it('409 when the job is already final', async () => {
    const { body: job } = await acme.post('/v1/jobs', sleepJob());
    await controller.succeed('acme', job.id, 'a\n1\n');
    const response = await acme.post(`/v1/jobs/${job.id}/cancel`);
    expect(response.status).toBe(409);
    expect(response.body.type).toBe('urn:ferry:problem:conflict');
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body give the same job (200); another body is a 422', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await acme.post('/v1/jobs', sleepJob(3, { labels: { a: '1', b: '2' } }), headers);
    expect(first.status).toBe(202);
    // Same body with keys in another order: canonical JSON compares equal.
    const second = await acme.post('/v1/jobs', { labels: { b: '2', a: '1' }, params: { seconds: 3 }, pipeline: 'sleep' }, headers);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const other = await acme.post('/v1/jobs', sleepJob(4), headers);
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:ferry:problem:idempotency_mismatch');
  });

  it('is scoped to the tenant', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const a = await acme.post('/v1/jobs', sleepJob(), headers);
    const g = await globex.post('/v1/jobs', sleepJob(), headers);
    expect(a.status).toBe(202);
    expect(g.status).toBe(202);
    expect(a.body.id).not.toBe(g.body.id);
  });

  it('concurrent duplicates through two gateways all get the one job, stored once', async () => {
    const second = await TestGateway.start({ natsUrl: nats.url });
    try {
      const other = new Api(second.url, TEST_KEYS.acme);
      const responses = await Promise.all(
        Array.from({ length: 24 }, (_unused, index) => (index % 2 === 0 ? acme : other).post('/v1/jobs', sleepJob(7), { 'idempotency-key': 'burst-1' })),
      );
      const ids = new Set(responses.map((response) => response.body.id));
      expect(ids.size).toBe(1);
      expect(responses.filter((response) => response.status === 202)).toHaveLength(1);
      expect(responses.filter((response) => response.status === 200)).toHaveLength(23);
      // Listed once: racing creates of one idempotent job write one list entry that names its record.
      const listed = (await listJobIds(acme)).filter((id) => ids.has(id));
      expect(listed).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  it('400 for a key that is not visible ASCII', async () => {
    const response = await acme.post('/v1/jobs', sleepJob(), { 'idempotency-key': 'x'.repeat(300) });
    expect(response.status).toBe(400);
  });
});

describe('stateless gateways', () => {
  it('two gateway processes on one NATS answer identically for any job', async () => {
    const second = await TestGateway.start({ natsUrl: nats.url });
    try {
      const other = new Api(second.url, TEST_KEYS.acme);
      const { body: job } = await acme.post('/v1/jobs', sleepJob());
      expect((await other.get(`/v1/jobs/${job.id}`)).body).toEqual(job);
      const cancelled = await other.post(`/v1/jobs/${job.id}/cancel`);
      expect((await acme.get(`/v1/jobs/${job.id}`)).body).toEqual(cancelled.body);
      expect((await other.get('/v1/jobs')).body).toEqual((await acme.get('/v1/jobs')).body);
    } finally {
      await second.stop();
    }
  });
});

describe('rate limit', () => {
  it('429 with Retry-After once a tenant is over its burst', async () => {
    const limited = await TestGateway.start({ natsUrl: nats.url, env: { FERRY_RATE_LIMIT: '1', FERRY_RATE_BURST: '3' } });
    try {
      const api = new Api(limited.url, TEST_KEYS.acme);
      const statuses = [];
      for (let index = 0; index < 5; index += 1) statuses.push((await api.get('/v1/pipelines')).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      const limitedResponse = await api.get('/v1/pipelines');
      expect(limitedResponse.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(limitedResponse.body.type).toBe('urn:ferry:problem:rate_limited');
      // Another tenant has its own bucket.
      expect((await api.as(TEST_KEYS.globex).get('/v1/pipelines')).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });
});
