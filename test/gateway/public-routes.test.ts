import { Api } from '../support/api.ts';
import { TestGateway } from '../support/gateway.ts';
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

  it('an unknown route is a 404 problem', async () => {
    const response = await api.get('/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
