import type { Socket } from 'node:net';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_TOPOLOGY } from '@ferry/nats';
import type { Api } from '../support/api.ts';
import { TEST_KEYS } from '../support/gateway.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';
import { answersWithStatus, expectGatewayReady, fuzzSystemOptions, gatewayProcess, jobCounts, MiB } from './support/jobs.ts';
import { exchange, expectProblem, openSocket, parseResponse, rawRequest, type RawResponse } from './support/raw-http.ts';

// Hand-written hostile requests against a real gateway (with NATS and a controller), group by group.
// After each test the gateway still answers /readyz 200, and each tenant has exactly the jobs the
// tests meant to create (docs/architecture.md §8: bad input gets a clear 4xx and changes nothing).

let system: FerrySystem;
let acme: Api;
let nats: NatsConnection;
const expected = { acme: 0, globex: 0 };
const auth = { Authorization: `Bearer ${TEST_KEYS.acme}` };
const validBody = '{"pipeline":"anything","params":{"n":1}}';

beforeAll(async () => {
  system = await FerrySystem.start(fuzzSystemOptions);
  acme = system.api(TEST_KEYS.acme);
  nats = await connect({ servers: system.nats.url });
});
afterAll(async () => {
  await nats?.close();
  await system?.stop();
});
afterEach(async () => {
  await expectGatewayReady(system);
  expect(await jobCounts(system)).toEqual(expected);
});

const post = (path: string, body: Buffer | string, headers: Record<string, Buffer | string> = { 'Content-Type': 'application/json' }): Promise<RawResponse> =>
  exchange(system.gateway.url, rawRequest('POST', path, { ...auth, ...headers }, body));
const get = (path: Buffer | string, headers: Record<string, Buffer | string> = {}): Promise<RawResponse> =>
  exchange(system.gateway.url, rawRequest('GET', path, { ...auth, ...headers }));

// The gateway answers 413 and closes while the client is still sending; the client's kernel may then
// take the gateway's reset before the client has read the 413 (no lingering close in Node). So each
// 413 is counted where it is sure to be seen, in the gateway's metrics, and checked whole wherever
// it did reach the client.
describe('bodies over the 1 MiB limit', () => {
  it('a declared 64 MiB body is a 413 before it is sent, without the gateway holding it', async () => {
    const answered = await answersWithStatus(system, 413);
    const { response, sent, peakRss, baseRss } = await upload('POST /v1/jobs', { 'Content-Length': String(64 * MiB) }, 64 * MiB, false);
    expect(await answersWithStatus(system, 413)).toBe(answered + 1);
    if (response !== undefined) expectProblem(response, 413, 'payload_too_large');
    expect(sent).toBeLessThan(32 * MiB);
    expect(peakRss - baseRss).toBeLessThan(64 * MiB);
  });

  it('chunked bodies with no length, 8 at once, 32 MiB each: 413s, memory bounded, others still served', async () => {
    const answered = await answersWithStatus(system, 413);
    const base = (await gatewayProcess(system)).rss;
    let peak = base;
    let slowest = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const started = Date.now();
        peak = Math.max(peak, (await gatewayProcess(system)).rss);
        expect((await fetch(`${system.gateway.url}/readyz`)).status).toBe(200);
        slowest = Math.max(slowest, Date.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const uploads = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        upload(index % 2 === 0 ? 'POST /v1/jobs' : 'POST /echo', { 'Transfer-Encoding': 'chunked' }, 32 * MiB, true),
      ),
    );
    sampling = false;
    await sampler;
    expect(await answersWithStatus(system, 413)).toBe(answered + 8);
    for (const { response, sent } of uploads) {
      if (response !== undefined) expectProblem(response, 413, 'payload_too_large');
      expect(sent).toBeLessThan(32 * MiB);
    }
    const seen = uploads.filter(({ response }) => response !== undefined).length;
    console.log(`8 chunked uploads: ${seen} clients read their 413; gateway RSS ${(base / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB; slowest probe ${slowest} ms`);
    expect(peak - base).toBeLessThan(96 * MiB);
    expect(slowest).toBeLessThan(2_000);
  });
});

describe('deeply nested JSON', () => {
  const deepArray = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
  const deepObject = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

  it.each([
    ['params nested 100k deep (arrays)', `{"pipeline":"anything","params":{"a":${deepArray(100_000)}}}`],
    ['params nested 100k deep (objects)', `{"pipeline":"anything","params":${deepObject(100_000)}}`],
    ['labels nested 100k deep', `{"pipeline":"anything","labels":${deepObject(100_000)}}`],
    ['a body that is only nesting', deepArray(100_000)],
    ['params one level past the bound', `{"pipeline":"anything","params":${deepObject(64)}}`],
  ])('POST /v1/jobs with %s is a 400, not a stack overflow', async (_name, body) => {
    const response = await post('/v1/jobs', body);
    expectProblem(response, 400, 'invalid_request');
    expect(JSON.parse(response.body).detail).toMatch(/nests deeper than/);
  });

  it('POST /echo nested 100k deep is a 400; 60 levels come back whole', async () => {
    expectProblem(await post('/echo', deepObject(100_000)), 400, 'invalid_request');
    const fine = await post('/echo', deepObject(60));
    expect(fine.status).toBe(200);
    expect(JSON.parse(fine.body)).toEqual(JSON.parse(deepObject(60)));
  });
});

describe('__proto__ and constructor.prototype', () => {
  /** If any request had polluted Object.prototype, every job would carry the label `polluted=yes`. */
  const expectNoPollution = async (): Promise<void> => {
    const listed = await acme.get('/v1/jobs?label=polluted=yes');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([]);
    expect((await post('/echo', '{}')).body).toBe('{}');
  };

  it.each([
    ['params.__proto__', '{"pipeline":"anything","params":{"__proto__":{"polluted":"yes"}}}'],
    ['a top-level __proto__', '{"__proto__":{"polluted":"yes"},"pipeline":"anything"}'],
    ['labels.__proto__', '{"pipeline":"anything","labels":{"__proto__":{"polluted":"yes"}}}'],
    ['params.constructor.prototype', '{"pipeline":"anything","params":{"constructor":{"prototype":{"polluted":"yes"}}}}'],
    ['a nested __proto__ in an array', '{"pipeline":"anything","params":{"list":[{"__proto__":{"polluted":"yes"}}]}}'],
  ])('a body with %s is refused with 400', async (_name, body) => {
    expectProblem(await post('/v1/jobs', body), 400, 'invalid_request');
    expectProblem(await post('/echo', body), 400, 'invalid_request');
    await expectNoPollution();
  });

  it.each([
    '/v1/jobs?__proto__[polluted]=yes',
    '/v1/jobs?constructor[prototype][polluted]=yes',
    '/v1/jobs?__proto__.polluted=yes',
    '/v1/jobs?label=__proto__=yes&label=constructor=yes',
    '/v1/jobs?__proto__=yes',
  ])('the query %s is refused or harmless', async (path) => {
    const response = await get(path);
    if (response.status === 200) expect(JSON.parse(response.body)).toEqual({ items: [], nextCursor: null });
    else expectProblem(response, 400, 'invalid_request');
    await expectNoPollution();
  });

  it.each(['/v1/jobs/__proto__', '/v1/jobs/constructor', '/v1/jobs/__proto__/cancel', '/v1/jobs/prototype/events', '/v1/jobs/toString/result'])(
    '%s is a 404',
    async (path) => {
      const response = path.endsWith('/cancel') ? await post(path, '', {}) : await get(path);
      expectProblem(response, 404, 'not_found');
    },
  );

  it.each([
    ['labels', '{"pipeline":"anything","labels":{"constructor":"c","toString":"t","hasOwnProperty":"h","valueOf":"v"}}'],
    ['params', '{"pipeline":"anything","params":{"prototype":{"polluted":"yes"}}}'],
    ['params, deep inside', '{"pipeline":"anything","params":{"a":[{"b":{"constructor":"plain"}}]}}'],
    ['the top level', '{"pipeline":"anything","constructor":1}'],
  ])('keys named like Object.prototype members in %s are refused with 400, not silently dropped', async (_where, body) => {
    const response = await post('/v1/jobs', body);
    expectProblem(response, 400, 'invalid_request');
    expect(JSON.parse(response.body).errors.length).toBeGreaterThan(0);
    await expectNoPollution();
  });

  it('keys that only look alike are stored as sent', async () => {
    const params = { Constructor: 1, __proto: 2, proto: { toStrings: 3 } };
    const labels = { 'constructor.io/name': 'c', prototypes: 'p' };
    const response = await acme.post('/v1/jobs', { pipeline: 'anything', params, labels });
    expect(response.status, response.text).toBe(202);
    expected.acme += 1;
    const stored = (await acme.get(`/v1/jobs/${response.body.id}`)).body;
    expect([stored.params, stored.labels]).toEqual([params, labels]);
    const filtered = await acme.get('/v1/jobs?label=prototypes=p');
    expect(filtered.body.items.map((job: { id: string }) => job.id)).toEqual([response.body.id]);
  });

  it('an Idempotency-Key of __proto__ is an ordinary key', async () => {
    const headers = { 'Idempotency-Key': '__proto__' };
    const first = await acme.post('/v1/jobs', { pipeline: 'anything' }, headers);
    expect(first.status, first.text).toBe(202);
    expected.acme += 1;
    const again = await acme.post('/v1/jobs', { pipeline: 'anything' }, headers);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expectProblem(await acme.post('/v1/jobs', { pipeline: 'anything', params: { other: true } }, headers), 422, 'idempotency_mismatch');
  });
});

describe('content types', () => {
  it.each<[string, Record<string, string>, string]>([
    ['text/plain', { 'Content-Type': 'text/plain' }, validBody],
    ['multipart/form-data', { 'Content-Type': 'multipart/form-data; boundary=x' }, `--x\r\nContent-Disposition: form-data; name="pipeline"\r\n\r\nanything\r\n--x--\r\n`],
    ['a form', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'pipeline=anything'],
    ['no Content-Type', {}, validBody],
    ['JSON in latin1', { 'Content-Type': 'application/json; charset=latin1' }, validBody],
    ['JSON in UTF-16', { 'Content-Type': 'application/json; charset=utf-16' }, validBody],
    ['application/jsonp', { 'Content-Type': 'application/jsonp' }, validBody],
    ['application/problem+json', { 'Content-Type': 'application/problem+json' }, validBody],
    ['an empty Content-Type', { 'Content-Type': '' }, validBody],
  ])('POST /v1/jobs as %s is a 415', async (_name, headers, body) => {
    expectProblem(await post('/v1/jobs', body, headers), 415, 'unsupported_media_type');
  });

  it.each<[string, Record<string, string>]>([
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['a form', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['JSON in latin1', { 'Content-Type': 'application/json; charset=iso-8859-1' }],
  ])('POST /echo as %s is a 415', async (_name, headers) => {
    expectProblem(await post('/echo', '{"a":1}', headers), 415, 'unsupported_media_type');
  });

  it('a JSON Content-Type with an empty or malformed body is a 400', async () => {
    expectProblem(await post('/v1/jobs', ''), 400, 'invalid_request');
    expectProblem(await post('/v1/jobs', '{"pipeline":'), 400, 'invalid_request');
    expectProblem(await post('/v1/jobs', 'null'), 400, 'invalid_request');
    expectProblem(await post('/v1/jobs', '["anything"]'), 400, 'invalid_request');
  });
});

describe('bytes that are not UTF-8', () => {
  const withBytes = (before: string, bytes: number[], after: string): Buffer => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);

  it.each<[string, Buffer]>([
    ['a params value', withBytes('{"pipeline":"anything","params":{"x":"', [0xff, 0xfe], '"}}')],
    ['a params key', withBytes('{"pipeline":"anything","params":{"', [0xc3], '":1}}')],
    ['a label value', withBytes('{"pipeline":"anything","labels":{"team":"', [0x80], '"}}')],
    ['an overlong "/"', withBytes('{"pipeline":"anything","params":{"x":"', [0xc0, 0xaf], '"}}')],
    ['an encoded surrogate', withBytes('{"pipeline":"anything","params":{"x":"', [0xed, 0xa0, 0x80], '"}}')],
    ['a truncated sequence at the end', withBytes('{"pipeline":"anything"}', [0xe2, 0x82], '')],
  ])('in the body (%s): 400, nothing stored', async (_name, body) => {
    expectProblem(await post('/v1/jobs', body), 400, 'invalid_request');
    expectProblem(await post('/echo', body), 400, 'invalid_request');
  });

  it('an escaped lone surrogate is valid JSON and is stored as sent', async () => {
    const response = await post('/v1/jobs', '{"pipeline":"anything","params":{"s":"\\ud800 and \\udfff"}}');
    expect(response.status, response.body).toBe(202);
    expected.acme += 1;
    const stored = await acme.get(`/v1/jobs/${(JSON.parse(response.body) as { id: string }).id}`);
    expect(stored.body.params).toEqual({ s: '\ud800 and \udfff' });
  });

  it('in header values: refused by the header that carries them', async () => {
    expectProblem(await exchange(system.gateway.url, rawRequest('GET', '/v1/jobs', { Authorization: Buffer.from([0x42, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20, 0xff, 0xfe]) })), 401, 'unauthorized');
    expectProblem(await post('/v1/jobs', validBody, { 'Content-Type': 'application/json', 'Idempotency-Key': Buffer.from([0xc3, 0x28]) }), 400, 'invalid_request');
    expectProblem(await post('/v1/jobs', validBody, { 'Content-Type': Buffer.from([0x61, 0x70, 0x70, 0xff]) }), 415, 'unsupported_media_type');
    expectProblem(await get('/v1/jobs/01m8jrq41mafghbn4jz7ve7qgm/events', { 'Last-Event-ID': Buffer.from([0xff]), Accept: 'text/event-stream' }), 404, 'not_found');
    expectProblem(await get('/v1/jobs', { 'X-Anything': Buffer.from([0x61, 0x00, 0x62]) }), 400, 'invalid_request');
  });

  it.each<[string, Buffer | string]>([
    ['raw bytes in the path', Buffer.from([0x2f, 0x76, 0x31, 0x2f, 0x6a, 0x6f, 0x62, 0x73, 0x2f, 0xff, 0xfe])],
    ['raw bytes in the query', Buffer.concat([Buffer.from('/v1/jobs?label=a='), Buffer.from([0xff])])],
    ['percent-encoded bytes that are not UTF-8 in the path', '/v1/jobs/%ff%fe'],
    ['an overlong encoding in the path', '/v1/jobs/%c0%af/cancel'],
    ['a broken percent-escape in the path', '/v1/jobs/%zz'],
    ['a percent-encoded NUL in the path', '/v1/jobs/%00'],
  ])('in the URL (%s): a 4xx problem', async (_name, path) => {
    const response = await get(path);
    expect([400, 404]).toContain(response.status);
    expectProblem(response, response.status);
  });

  it.each(['/v1/jobs?state=%ff', '/v1/jobs?pipeline=%c0%af', '/v1/jobs?cursor=%ed%a0%80', '/v1/jobs?label=a%3D%ff', '/v1/jobs?limit=%'])(
    'in the query %s: 400 or an empty page',
    async (path) => {
      const response = await get(path);
      if (response.status === 200) expect(JSON.parse(response.body)).toEqual({ items: [], nextCursor: null });
      else expectProblem(response, 400, 'invalid_request');
    },
  );
});

describe('huge headers and query strings', () => {
  it.each<[string, Buffer]>([
    ['a 100 KB header', rawRequest('GET', '/v1/jobs', { ...auth, 'X-Big': 'a'.repeat(100_000) })],
    ['a 1 MB query string', rawRequest('GET', `/v1/jobs?label=a=${'b'.repeat(1_000_000)}`, auth)],
    ['5000 small headers', rawRequest('GET', '/v1/jobs', { ...auth, ...Object.fromEntries(Array.from({ length: 5000 }, (_, index) => [`X-H${index}`, 'v'])) })],
    ['a 100 KB Idempotency-Key', rawRequest('POST', '/v1/jobs', { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': 'k'.repeat(100_000) }, validBody)],
  ])('%s: 431 problem', async (_name, request) => {
    expectProblem(await exchange(system.gateway.url, request), 431, 'header_too_large');
  });

  it('1000 label filters just under the header limit answer at once', async () => {
    const query = Array.from({ length: 1000 }, (_, index) => `label=k${index}=v`).join('&');
    const started = Date.now();
    const response = await get(`/v1/jobs?${query}`);
    expect(response.status, response.body).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ items: [], nextCursor: null });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('an Idempotency-Key over 255 characters is a 400', async () => {
    expectProblem(await post('/v1/jobs', validBody, { 'Content-Type': 'application/json', 'Idempotency-Key': 'k'.repeat(256) }), 400, 'invalid_request');
  });
});

describe('SSE clients that never read', () => {
  it('200 of them on a chatty job: others still served, memory bounded, all freed when they go', async () => {
    const job = await acme.post('/v1/jobs', { pipeline: 'slow', params: { seconds: 60, progressEvery: 0.05 } });
    expect(job.status).toBe(202);
    expected.acme += 1;
    const id = (job.body as { id: string }).id;
    const before = await gatewayProcess(system);
    const consumersBefore = await eventConsumers();

    const request = rawRequest('GET', `/v1/jobs/${id}/events`, { ...auth, Accept: 'text/event-stream' });
    const sockets = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const socket = await openSocket(system.gateway.url);
        socket.pause(); // never read: the kernel buffers fill, then the gateway's
        socket.on('error', () => undefined);
        socket.write(request);
        return socket;
      }),
    );
    await eventually(async () => expect(await eventConsumers()).toBeGreaterThanOrEqual(consumersBefore + 200), 15_000);

    // While they hang on, the gateway answers everyone else promptly.
    let peak = before.rss;
    let slowest = 0;
    for (let round = 0; round < 20; round += 1) {
      const started = Date.now();
      const [ready, read, listed, metrics] = await Promise.all([
        fetch(`${system.gateway.url}/readyz`),
        acme.get(`/v1/jobs/${id}`),
        acme.get('/v1/jobs?limit=5'),
        gatewayProcess(system),
      ]);
      slowest = Math.max(slowest, Date.now() - started);
      expect([ready.status, read.status, listed.status]).toEqual([200, 200, 200]);
      peak = Math.max(peak, metrics.rss);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // The job ends (cancelled): the gateway ends each stream, though nobody reads it.
    expect((await acme.post(`/v1/jobs/${id}/cancel`)).status).toBe(202);
    await waitForJob(acme, id, isFinal, 30_000);
    console.log(`200 stalled SSE clients: gateway RSS ${(before.rss / MiB).toFixed(0)} → peak ${(peak / MiB).toFixed(0)} MiB, slowest probe ${slowest} ms`);
    expect(slowest).toBeLessThan(2_000);
    expect(peak - before.rss).toBeLessThan(128 * MiB);

    // They go away: the gateway releases their sockets, and each stream's NATS consumer is deleted
    // when the stream ends (not left on the server for its 5-minute inactive threshold).
    for (const socket of sockets) socket.destroy();
    await eventually(async () => expect((await gatewayProcess(system)).fds).toBeLessThanOrEqual(before.fds + 5), 15_000);
    await eventually(async () => expect(await eventConsumers()).toBeLessThanOrEqual(consumersBefore), 15_000);
    console.log(`NATS consumers on ${DEFAULT_TOPOLOGY.eventsStream}: ${consumersBefore} before, ${await eventConsumers()} after the streams ended`);
  });
});

describe('slowloris', () => {
  it('200 requests that trickle in byte by byte do not stop others, and leave nothing behind', async () => {
    const before = await gatewayProcess(system);
    const headers = `POST /v1/jobs HTTP/1.1\r\nHost: fuzz\r\nAuthorization: Bearer ${TEST_KEYS.acme}\r\nContent-Type: application/json\r\n`;
    const sockets: Socket[] = await Promise.all(
      Array.from({ length: 200 }, async (_, index) => {
        const socket = await openSocket(system.gateway.url);
        socket.on('error', () => undefined);
        // Half stall in a header that never ends, half in a body that never completes.
        socket.write(index % 2 === 0 ? `${headers}X-Slow: ` : `${headers}Content-Length: 1000\r\n\r\n${validBody}`);
        return socket;
      }),
    );
    let slowest = 0;
    for (let round = 0; round < 10; round += 1) {
      for (const [index, socket] of sockets.entries()) socket.write(index % 2 === 0 ? 'a' : ' ');
      const started = Date.now();
      const [ready, listed] = await Promise.all([fetch(`${system.gateway.url}/readyz`), acme.get('/v1/jobs?limit=1')]);
      slowest = Math.max(slowest, Date.now() - started);
      expect([ready.status, listed.status]).toEqual([200, 200]);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(slowest).toBeLessThan(2_000);
    expect(sockets.filter((socket) => socket.destroyed)).toEqual([]);
    for (const socket of sockets) socket.destroy();
    await eventually(async () => expect((await gatewayProcess(system)).fds).toBeLessThanOrEqual(before.fds + 5), 15_000);
  });
});

/** Sends a body of `total` bytes as fast as the gateway takes it, until it answers or closes. */
async function upload(
  requestLine: string,
  headers: Record<string, string>,
  total: number,
  chunked: boolean,
): Promise<{ response: RawResponse | undefined; sent: number; peakRss: number; baseRss: number }> {
  const [method = 'POST', path = '/'] = requestLine.split(' ');
  const baseRss = (await gatewayProcess(system)).rss;
  let peakRss = baseRss;
  const socket = await openSocket(system.gateway.url);
  const chunks: Buffer[] = [];
  let sent = 0;
  let answered = false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    answered = true;
  });
  socket.on('error', () => undefined);
  socket.write(rawRequest(method, path, { ...auth, 'Content-Type': 'application/json', ...headers }));
  const piece = Buffer.alloc(256 * 1024, 'a');
  const frame = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
  socket.write(chunked ? Buffer.concat([Buffer.from('1\r\n{\r\n')]) : Buffer.from('{'));
  while (sent < total && !answered && !socket.destroyed) {
    const flushed = socket.write(frame);
    sent += piece.length;
    if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed, new Promise((resolve) => setTimeout(resolve, 1_000))]);
    if (sent % (8 * MiB) === 0) peakRss = Math.max(peakRss, (await gatewayProcess(system)).rss);
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  socket.destroy();
  peakRss = Math.max(peakRss, (await gatewayProcess(system)).rss);
  const received = Buffer.concat(chunks);
  return { response: received.length === 0 ? undefined : parseResponse(received), sent, peakRss, baseRss };
}

async function eventConsumers(): Promise<number> {
  const jsm = await jetstreamManager(nats);
  return (await jsm.streams.info(DEFAULT_TOPOLOGY.eventsStream)).state.consumer_count;
}

async function eventually(assertion: () => Promise<void>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
