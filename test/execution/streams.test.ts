import type { Api } from '../support/api.ts';
import { TEST_KEYS } from '../support/gateway.ts';
import { openSse } from '../support/sse.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start();
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

describe('events and logs of a running job', () => {
  it('SSE shows every state change in order, with progress, and ends', async () => {
    const { body: submitted } = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1, progressEvery: 0.25 } });
    const sse = await openSse(`${system.gateway.url}/v1/jobs/${submitted.id}/events`, { authorization: `Bearer ${TEST_KEYS.acme}` });
    const states: string[] = [];
    let progress = 0;
    for (let event = await sse.next(); event !== undefined; event = await sse.next()) {
      const job = JSON.parse(event.data);
      if (event.event === 'progress') progress += 1;
      else if (states.at(-1) !== job.state) states.push(job.state);
    }
    // The stream may open after the job left `queued`; whatever it saw is in order and ends final.
    const order = ['queued', 'starting', 'running', 'succeeded'];
    expect(states.at(-1)).toBe('succeeded');
    expect(states).toEqual(order.slice(order.indexOf(states[0] ?? 'queued')));
    expect(states).toContain('running');
    expect(progress).toBeGreaterThan(0);
  });

  it('the events stream holds queued → starting → running → succeeded for a job', async () => {
    const { body: submitted } = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0.2 } });
    await waitForJob(api, submitted.id, isFinal);
    // Resuming from sequence 0 replays everything the stream holds for the job.
    const sse = await openSse(`${system.gateway.url}/v1/jobs/${submitted.id}/events`, { authorization: `Bearer ${TEST_KEYS.acme}`, 'last-event-id': '0' });
    const states: string[] = [];
    for (let event = await sse.next(); event !== undefined; event = await sse.next()) if (event.event === 'state') states.push(JSON.parse(event.data).state);
    expect(states).toEqual(['queued', 'starting', 'running', 'succeeded']);
  });

  it('logs survive the process and can be followed until the job is final', async () => {
    const { body: submitted } = await api.post('/v1/jobs', { pipeline: 'shout', params: { word: 'ferry' } });
    const response = await fetch(`${system.gateway.url}/v1/jobs/${submitted.id}/logs?follow=true`, { headers: { authorization: `Bearer ${TEST_KEYS.acme}` } });
    const text = await response.text();
    expect(text).toContain('shouting ferry');
    expect(text).not.toContain('::ferry:progress');
    const job = await waitForJob(api, submitted.id, isFinal);
    expect(job.state).toBe('succeeded');
    expect((await api.get(`/v1/jobs/${submitted.id}/logs`)).text).toBe(text);
  });
});

describe('container pipelines', () => {
  it('report progress with echo and upload the result with curl', async () => {
    const { body: submitted } = await api.post('/v1/jobs', { pipeline: 'shout', params: { word: 'hello; rm -rf /' } });
    const job = await waitForJob(api, submitted.id, isFinal);
    expect(job).toMatchObject({ state: 'succeeded', progress: { percent: 100 }, result: { contentType: 'text/plain', rows: 1 } });
    const result = await api.get(`/v1/jobs/${submitted.id}/result`);
    // The param stayed one argument: no shell ever saw it.
    expect(result.text).toBe('HELLO; RM -RF /\n');
    // The upload is announced like every write of the record: a result event before the final state.
    const sse = await openSse(`${system.gateway.url}/v1/jobs/${submitted.id}/events`, { authorization: `Bearer ${TEST_KEYS.acme}`, 'last-event-id': '0' });
    const kinds: string[] = [];
    for (let event = await sse.next(); event !== undefined; event = await sse.next()) {
      const announced = JSON.parse(event.data);
      kinds.push(event.event === 'result' ? `result ${announced.result?.contentType}` : `${event.event} ${announced.state}`);
    }
    const uploaded = kinds.indexOf('result text/plain');
    expect(uploaded, kinds.join(', ')).toBeGreaterThan(kinds.indexOf('state running'));
    expect(uploaded).toBeLessThan(kinds.indexOf('state succeeded'));
  });
});
