import { Api } from '../support/api.ts';
import { ControllerDouble } from '../support/controller-double.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';
import { openSse } from '../support/sse.ts';

let nats: TestNats;
let gateway: TestGateway;
let controller: ControllerDouble;
let acme: Api;
const auth = { authorization: `Bearer ${TEST_KEYS.acme}` };

beforeAll(async () => {
  nats = await TestNats.start();
  // A short heartbeat so the keep-alive comment is seen within a test.
  gateway = await TestGateway.start({ natsUrl: nats.url, env: { FERRY_SSE_HEARTBEAT_SECONDS: '0.3' } });
  controller = await ControllerDouble.connect(nats.url);
  acme = new Api(gateway.url, TEST_KEYS.acme);
});
afterAll(async () => {
  await controller?.close();
  await gateway?.stop();
  await nats?.dispose();
});

const submit = async (): Promise<string> => (await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } })).body.id;

describe('GET /v1/jobs/{id}/events (SSE)', () => {
  it('sends the current job, then every change in order, keeps alive, and ends after the final state', async () => {
    const id = await submit();
    const sse = await openSse(`${gateway.url}/v1/jobs/${id}/events`, auth);
    expect(sse.status).toBe(200);
    const snapshot = await sse.next();
    expect(snapshot?.event).toBe('state');
    expect(JSON.parse(snapshot?.data ?? '{}')).toMatchObject({ id, state: 'queued' });

    await controller.move('acme', id, { state: 'starting', attempt: 1 });
    await controller.move('acme', id, { state: 'running' });
    await controller.progress('acme', id, 40);
    await new Promise((resolve) => setTimeout(resolve, 700));
    await controller.move('acme', id, { state: 'succeeded' });

    const seen: Array<[string, string, string]> = [];
    for (let event = await sse.next(); event !== undefined; event = await sse.next()) {
      const job = JSON.parse(event.data);
      seen.push([event.event, job.state, event.id ?? '']);
    }
    expect(seen.map(([type, state]) => `${type}:${state}`)).toEqual(['state:starting', 'state:running', 'progress:running', 'state:succeeded']);
    // Opaque ids: the events stream's sequence is global, and would show other tenants' activity.
    const ids = [snapshot?.id ?? '', ...seen.map(([, , eventId]) => eventId)];
    for (const eventId of ids) expect(eventId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(sse.comments).toContain('keep-alive');
  });

  it('resumes after Last-Event-ID without repeating what was seen, and answers 204 once all is sent', async () => {
    const id = await submit();
    await controller.move('acme', id, { state: 'starting', attempt: 1 });
    const first = await openSse(`${gateway.url}/v1/jobs/${id}/events`, auth);
    const snapshot = await first.next();
    expect(JSON.parse(snapshot?.data ?? '{}').state).toBe('starting');
    first.close(); // the connection drops

    await controller.move('acme', id, { state: 'running' });
    await controller.progress('acme', id, 90);
    const resumed = await openSse(`${gateway.url}/v1/jobs/${id}/events`, { ...auth, 'last-event-id': snapshot?.id ?? '' });
    const running = await resumed.next();
    expect(`${running?.event}:${JSON.parse(running?.data ?? '{}').state}`).toBe('state:running');
    const progress = await resumed.next();
    expect(progress?.event).toBe('progress');
    await controller.move('acme', id, { state: 'failed', reason: 'ExitCode', message: 'exit code 2' });
    const final = await resumed.next();
    expect(JSON.parse(final?.data ?? '{}')).toMatchObject({ state: 'failed', reason: 'ExitCode' });
    expect(await resumed.next()).toBeUndefined();

    const after = await fetch(`${gateway.url}/v1/jobs/${id}/events`, { headers: { ...auth, 'last-event-id': final?.id ?? '' } });
    expect(after.status).toBe(204);
  });

  it('a stream for a final job sends it once and ends', async () => {
    const id = await submit();
    await controller.succeed('acme', id, 'x\n1\n');
    const sse = await openSse(`${gateway.url}/v1/jobs/${id}/events`, auth);
    expect(JSON.parse((await sse.next())?.data ?? '{}').state).toBe('succeeded');
    expect(await sse.next()).toBeUndefined();
  });

  it('ends at the final state even if its event was never published (the heartbeat rereads the record)', async () => {
    const id = await submit();
    const sse = await openSse(`${gateway.url}/v1/jobs/${id}/events`, auth);
    await sse.next();
    await controller.jobs.update('acme', id, (job) => ({ ...job, state: 'cancelled', reason: 'Cancelled', finishedAt: new Date().toISOString(), updatedAt: new Date().toISOString() }));
    const final = await sse.next(5_000);
    expect(JSON.parse(final?.data ?? '{}').state).toBe('cancelled');
    expect(await sse.next()).toBeUndefined();
  });
});

describe('GET /v1/jobs/{id}/logs', () => {
  const line = (text: string, attempt = 1) => ({ line: text, stream: 'stdout' as const, attempt, at: new Date().toISOString() });

  it('returns the lines stored so far as text/plain', async () => {
    const id = await submit();
    expect((await acme.get(`/v1/jobs/${id}/logs`)).text).toBe('');
    for (const text of ['reading sources', 'rows: 10', 'done']) await controller.logs.append('acme', id, line(text));
    const response = await acme.get(`/v1/jobs/${id}/logs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.text).toBe('reading sources\nrows: 10\ndone\n');
  });

  it('follow=true streams new lines and ends when the job is final', async () => {
    const id = await submit();
    await controller.logs.append('acme', id, line('first'));
    const response = await fetch(`${gateway.url}/v1/jobs/${id}/logs?follow=true`, { headers: auth });
    const reader = response.body?.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string): Promise<void> => {
      while (!text.includes(needle)) {
        const { value, done } = (await reader?.read()) ?? { done: true, value: undefined };
        if (done) throw new Error(`stream ended before "${needle}": ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('first\n');
    await controller.logs.append('acme', id, line('second'));
    await readUntil('second\n');
    await controller.logs.append('acme', id, line('last'));
    await controller.succeed('acme', id, 'a\n1\n');
    for (;;) {
      const { value, done } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toBe('first\nsecond\nlast\n');
  });

  it('400 for a bad follow value', async () => {
    const id = await submit();
    expect((await acme.get(`/v1/jobs/${id}/logs?follow=yes`)).status).toBe(400);
  });
});

describe('GET /v1/jobs/{id}/result', () => {
  it('409 while the job is not final, the bytes with their content type once it is', async () => {
    const id = await submit();
    const early = await acme.get(`/v1/jobs/${id}/result`);
    expect(early.status).toBe(409);
    const csv = 'city,total\nOslo,12\nBergen,7\n';
    await controller.succeed('acme', id, csv);
    const response = await acme.get(`/v1/jobs/${id}/result`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv');
    expect(response.text).toBe(csv);
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(csv)));
    const job = (await acme.get(`/v1/jobs/${id}`)).body;
    expect(job.result).toMatchObject({ contentType: 'text/csv', bytes: Buffer.byteLength(csv), rows: 2 });
  });

  it('404 when a final job has no result', async () => {
    const id = await submit();
    await controller.move('acme', id, { state: 'cancelled', reason: 'Cancelled' });
    const response = await acme.get(`/v1/jobs/${id}/result`);
    expect(response.status).toBe(404);
    expect(response.body.detail).toMatch(/no result/);
  });
});
