import { connect as connectTcp, type Socket } from 'node:net';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DEFAULT_TOPOLOGY, ensureTopology, type FerryNats } from '@ferry/nats';
import { Api } from '../support/api.ts';
import { ControllerDouble } from '../support/controller-double.ts';
import { TEST_KEYS, TestGateway } from '../support/gateway.ts';
import { TestNats } from '../support/nats.ts';
import { openSse } from '../support/sse.ts';

const STREAMS_PER_TENANT = 3;

let nats: TestNats;
let gateway: TestGateway;
let controller: ControllerDouble;
let connection: NatsConnection;
let handles: FerryNats;
let acme: Api;

beforeAll(async () => {
  nats = await TestNats.start();
  gateway = await TestGateway.start({ natsUrl: nats.url, env: { FERRY_STREAMS_PER_TENANT: String(STREAMS_PER_TENANT) } });
  controller = await ControllerDouble.connect(nats.url);
  connection = await connect({ servers: nats.url });
  handles = await ensureTopology(connection, DEFAULT_TOPOLOGY);
  acme = new Api(gateway.url, TEST_KEYS.acme);
});
afterAll(async () => {
  await connection?.drain();
  await controller?.close();
  await gateway?.stop();
  await nats?.dispose();
});

/** 32 labels of 256 characters: a job record of about 10 KB, as a heavy labeller would have it. */
const HEAVY_LABELS = Object.fromEntries(Array.from({ length: 32 }, (_unused, index) => [`label-${index}`, 'x'.repeat(256)]));

async function runningJob(labels: Record<string, string> = {}): Promise<string> {
  const id: string = (await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 }, labels })).body.id;
  await controller.move('acme', id, { state: 'starting', attempt: 1 });
  await controller.move('acme', id, { state: 'running' });
  return id;
}

/** A client that sends a request and then reads nothing until told to: its socket fills up. HTTP/1.0, so the body is not chunked and the server closes at its end. */
function stalledClient(path: string): { socket: Socket; readAll: () => Promise<string> } {
  const url = new URL(gateway.url);
  const socket = connectTcp(Number(url.port), url.hostname);
  socket.write(`GET ${path} HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer ${TEST_KEYS.acme}\r\nAccept: text/event-stream\r\n\r\n`);
  socket.pause();
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    readAll: async () => {
      socket.resume();
      await ended;
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

async function consumersOn(stream: string): Promise<number> {
  return (await handles.jsm.streams.info(stream)).state.consumer_count;
}

describe('readers that do not keep up', () => {
  it('an SSE reader that stops reading is sent the latest state, not every event: the gateway buffers no backlog', async () => {
    const id = await runningJob(HEAVY_LABELS);
    const client = stalledClient(`/v1/jobs/${id}/events`);
    const updates = 1_000;
    for (let percent = 1; percent <= updates; percent += 1) await controller.progress('acme', id, percent / 10);
    await controller.move('acme', id, { state: 'succeeded' });

    const text = await client.readAll();
    const frames = text.split('\n\n').filter((frame) => frame.includes('\ndata: '));
    const last = frames.at(-1) ?? '';
    expect(last).toContain('event: state');
    expect(JSON.parse(last.slice(last.indexOf('data: ') + 6))).toMatchObject({ id, state: 'succeeded', progress: { percent: 100 } });
    // Without coalescing every one of the 1,000 events (10 MB) would have been queued for this socket.
    const progressFrames = frames.filter((frame) => frame.includes('event: progress')).length;
    expect(progressFrames).toBeLessThan(updates / 2);
    expect(text.length).toBeLessThan((updates / 2) * 9_000);
  });

  it('a slow SSE reader still gets the result event among the coalesced progress: each event type keeps its latest', async () => {
    const id = await runningJob(HEAVY_LABELS);
    const client = stalledClient(`/v1/jobs/${id}/events`);
    for (let percent = 1; percent <= 500; percent += 1) await controller.progress('acme', id, percent / 10);
    const result = { contentType: 'text/csv', bytes: 2, rows: 1, sha256: 'a'.repeat(64) };
    const withResult = await controller.jobs.update('acme', id, (job) => ({ ...job, result, updatedAt: new Date().toISOString() }));
    await controller.events.publish('result', withResult.job, withResult.revision);
    for (let percent = 501; percent <= 1_000; percent += 1) await controller.progress('acme', id, percent / 10);
    await controller.move('acme', id, { state: 'succeeded' });

    const frames = (await client.readAll()).split('\n\n').filter((frame) => frame.includes('\ndata: '));
    const types = frames.map((frame) => /^event: (\w+)/m.exec(frame)?.[1]);
    expect(types.filter((type) => type === 'result')).toHaveLength(1);
    const resultFrame = frames[types.indexOf('result')] ?? '';
    expect(JSON.parse(resultFrame.slice(resultFrame.indexOf('data: ') + 6))).toMatchObject({ id, result });
    expect(types.indexOf('result')).toBeLessThan(types.lastIndexOf('state'));
    expect(types.filter((type) => type === 'progress').length).toBeLessThan(500);
  });

  it('events carry the job without its params', async () => {
    const id: string = (await acme.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 3 } })).body.id;
    const sse = await openSse(`${gateway.url}/v1/jobs/${id}/events`, { authorization: `Bearer ${TEST_KEYS.acme}` });
    const snapshot = JSON.parse((await sse.next())?.data ?? '{}');
    sse.close();
    expect(snapshot).toMatchObject({ id, state: 'queued' });
    expect(snapshot).not.toHaveProperty('params');
  });

  it('a followed log whose client went away while the gateway waited for it to drain ends, and its consumer is deleted', async () => {
    const id = await runningJob();
    const line = 'l'.repeat(2_000);
    for (let index = 0; index < 3_000; index += 1) {
      await controller.logs.append('acme', id, { line: `${index} ${line}`, stream: 'stdout', attempt: 1, at: new Date().toISOString() });
    }
    const baseline = await consumersOn(DEFAULT_TOPOLOGY.logsStream);
    const client = stalledClient(`/v1/jobs/${id}/logs?follow=true`);
    // The route reads the log into a socket nobody reads: it blocks on a full buffer.
    await vi.waitFor(async () => expect(await consumersOn(DEFAULT_TOPOLOGY.logsStream)).toBe(baseline + 1), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    client.socket.destroy();
    await vi.waitFor(async () => expect(await consumersOn(DEFAULT_TOPOLOGY.logsStream)).toBe(baseline), { timeout: 10_000 });
  });

  it(`refuses a tenant's stream past ${STREAMS_PER_TENANT} open ones with a 429 problem, and serves other tenants meanwhile`, async () => {
    const id = await runningJob();
    const auth = { authorization: `Bearer ${TEST_KEYS.acme}` };
    const open = await Promise.all(Array.from({ length: STREAMS_PER_TENANT }, () => openSse(`${gateway.url}/v1/jobs/${id}/events`, auth)));
    expect(open.map((sse) => sse.status)).toEqual(open.map(() => 200));
    for (const sse of open) await sse.next();

    const refused = await acme.get(`/v1/jobs/${id}/events`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body.detail).toMatch(/at most 3 open streams per tenant/);
    expect((await acme.get(`/v1/jobs/${id}/logs?follow=true`)).status).toBe(429);

    const globex = new Api(gateway.url, TEST_KEYS.globex);
    const other: string = (await globex.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } })).body.id;
    const theirs = await openSse(`${gateway.url}/v1/jobs/${other}/events`, { authorization: `Bearer ${TEST_KEYS.globex}` });
    expect(theirs.status).toBe(200);
    theirs.close();

    open[0]?.close();
    await vi.waitFor(async () => {
      const again = await openSse(`${gateway.url}/v1/jobs/${id}/events`, auth);
      again.close();
      expect(again.status).toBe(200);
    });
    for (const sse of open) sse.close();
  });
});
