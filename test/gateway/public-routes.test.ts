import { connect } from 'node:net';
import { Api } from '../support/api.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';

let nats: TestNats;
let gateway: TestGateway;
let api: Api;

beforeAll(async () => {
  nats = await TestNats.start();
  gateway = await TestGateway.start({ natsUrl: nats.url });
  api = new Api(gateway.url);
});
afterAll(async () => {
  await gateway?.stop();
  await nats?.dispose();
});

describe('public routes (no key)', () => {
  it('GET / says the service is running', async () => {
    const response = await api.get('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.text).toBe('ok: service is running');
  });

  it('POST /echo returns the JSON body', async () => {
    const body = { a: 1, nested: { list: [1, 'two', null] } };
    const response = await api.post('/echo', body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(body);
  });

  it('POST /echo with malformed JSON is a 400 problem saying the JSON failed to parse', async () => {
    const response = await api.request('POST', '/echo', { rawBody: '{"a":', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:ferry:problem:invalid_request', status: 400 });
    expect(response.body.detail).toMatch(/JSON body failed to parse/);
  });

  it('healthz and readyz answer 200 while NATS is up', async () => {
    expect((await api.get('/healthz')).status).toBe(200);
    const ready = await api.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready' });
  });

  it('metrics are Prometheus text with the HTTP histogram', async () => {
    await api.get('/');
    const response = await api.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(response.text).toMatch(/ferry_http_request_duration_seconds_bucket\{.*route="\/"/);
    expect(response.text).toMatch(/process_resident_memory_bytes/);
  });

  it('serves an OpenAPI 3.1 document that covers every v1 route, and its UI', async () => {
    const document = await api.get('/openapi.json');
    expect(document.status).toBe(200);
    expect(document.body.openapi).toBe('3.1.0');
    expect(Object.keys(document.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/pipelines',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/jobs/{id}/events',
        '/v1/jobs/{id}/logs',
        '/v1/jobs/{id}/result',
      ]),
    );
    expect(document.body.components.schemas.CreateJobDto.properties).toHaveProperty('pipeline');
    expect(document.body.components.schemas.Job.properties).toHaveProperty('state');
    const ui = await api.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
  });

  it('the OpenAPI document resolves every $ref and states the rules the gateway enforces', async () => {
    const document = (await api.get('/openapi.json')).body;
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]*"/g) ?? [];
    const dangling = refs.map((ref) => ref.slice(8, -1)).filter((ref) => !(ref.replace('#/components/schemas/', '') in document.components.schemas));
    expect(dangling).toEqual([]);
    const list = document.paths['/v1/jobs'].get;
    expect(list.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['state', 'pipeline', 'label', 'limit', 'include', 'cursor']);
    expect(document.paths['/v1/jobs/{id}/logs'].get.parameters.map((parameter: { name: string }) => parameter.name)).toContain('follow');
    expect(Object.keys(document.paths['/v1/pipelines'].get.responses)).toEqual(expect.arrayContaining(['200', '401']));
    const submit = document.paths['/v1/jobs'].post;
    expect(submit.parameters.find((parameter: { name: string }) => parameter.name === 'Idempotency-Key').schema.pattern).toBeDefined();
    expect(document.components.schemas.CreateJobDto).toMatchObject({
      additionalProperties: false,
      properties: { labels: { type: 'object', maxProperties: 32 }, maxAttempts: { minimum: 1, maximum: 10 } },
    });
    expect(document.paths['/v1/jobs/{id}/events'].get.responses['200'].content['text/event-stream'].schema.properties.data.contentSchema).toEqual({
      $ref: '#/components/schemas/JobSummary',
    });
  });

  it('an unknown route is a 404 problem', async () => {
    const response = await api.get('/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it.each([
    ['DELETE', '/v1/jobs', 'GET, HEAD, POST'],
    ['PUT', '/v1/jobs/01jq0000000000000000000001', 'GET, HEAD'],
    ['GET', '/v1/jobs/01jq0000000000000000000001/cancel', 'POST'],
    ['OPTIONS', '/v1/pipelines', 'GET, HEAD'],
    ['PATCH', '/echo', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['GET', '/internal/v1/results/acme/01jq0000000000000000000001/1', 'PUT'],
  ])('%s %s, a path with other methods, is a 405 problem with Allow: %s (before auth)', async (method, path, allow) => {
    const response = await fetch(`${gateway.url}${path}?x=1`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: 'urn:ferry:problem:method_not_allowed', status: 405, detail: expect.stringContaining(allow) });
  });
});

describe('bad input is a 4xx problem, never a 500 or another format', () => {
  const echo = (body: Buffer | string, contentType = 'application/json') =>
    fetch(`${gateway.url}/echo`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const expectProblem = async (response: Response, status: number, detail: RegExp) => {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
  };

  it('JSON nested 100k deep is a 400, and 64 deep is fine', async () => {
    await expectProblem(await echo('['.repeat(100_000) + ']'.repeat(100_000)), 400, /nests deeper than 64 levels/);
    await expectProblem(await echo('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)), 400, /nests deeper than 64 levels/);
    const fine = await echo('['.repeat(64) + '"[[[["' + ']'.repeat(64));
    expect(fine.status).toBe(200);
  });

  it('a body that is not UTF-8 is a 400; a charset other than UTF-8 is a 415', async () => {
    await expectProblem(await echo(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, /not valid UTF-8/);
    await expectProblem(await echo('{"a":1}', 'application/json; charset=latin1'), 415, /UTF-8/);
    expect((await echo('{"a":"é"}', 'application/json; charset="UTF-8"')).status).toBe(200);
  });

  it('a URL whose percent-encoding is not UTF-8 is a 400 problem', async () => {
    const response = await new Api(gateway.url, TEST_KEYS.acme).get('/v1/jobs/%ff%fe');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: 'urn:ferry:problem:invalid_request', status: 400 });
  });

  it('a client that writes a whole 5 MB body before reading gets the 413 problem, not a broken pipe', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 'a');
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), '127.0.0.1');
    const failure = new Promise<string>((resolve) => socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error')));
    socket.pause(); // as urllib does: nothing is read until the body is written
    const head = `POST /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer ${TEST_KEYS.acme}\r\nContent-Length: ${body.length}\r\n\r\n`;
    await new Promise<void>((resolve, reject) => socket.write(Buffer.concat([Buffer.from(head), body]), (error) => (error ? reject(error) : resolve())));
    const answer = await Promise.race([
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('end', () => resolve(text));
        socket.resume();
      }),
      failure,
    ]);
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1.1 413 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ type: 'urn:ferry:problem:payload_too_large', status: 413 });
  });

  it.each([
    ['raw bytes in the URL', Buffer.concat([Buffer.from('GET /v1/jobs/'), Buffer.from([0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]), 400, 'invalid_request'],
    ['a malformed Content-Length', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, 'invalid_request'],
    ['headers over the size limit', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`, 431, 'header_too_large'],
  ])('%s: a problem document from the HTTP parser', async (_name, request, status, code) => {
    const answer = await rawExchange(request);
    expect(answer).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(answer).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ type: `urn:ferry:problem:${code}`, status });
  });
});

/** Writes raw bytes to the gateway and reads until it closes the connection. */
function rawExchange(request: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}
