import type { Api } from '../support/api.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

const LIMIT = 3;
let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start({ controllerEnv: { FERRY_MAX_CONCURRENT: String(LIMIT) } });
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

describe('concurrency limit and FIFO queue', () => {
  it('runs at most the limit at once, keeps queuePosition current, and drains 50 jobs', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 50; index += 1) {
      ids.push((await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0.3 } })).body.id);
    }
    const last = ids.at(-1) ?? '';
    const positions: number[] = [];
    for (;;) {
      const watched = (await api.get(`/v1/jobs/${last}`)).body;
      if (watched.state === 'queued' && watched.queuePosition !== null) positions.push(watched.queuePosition);
      if (isFinal(watched)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The last job's place in line only ever moves forward, and it moved.
    expect(positions.length).toBeGreaterThan(2);
    expect(positions).toEqual([...positions].sort((a, b) => b - a));
    expect(positions[0]).toBeGreaterThan(positions.at(-1) ?? 0);
    const finals = await Promise.all(ids.map((id) => waitForJob(api, id, isFinal)));
    expect(finals.every((job) => job.state === 'succeeded')).toBe(true);
    // A job holds a slot from its start to its final write; at no instant did more than LIMIT overlap.
    const edges = finals.flatMap((job) => [
      { at: Date.parse(job.startedAt), delta: 1 },
      { at: Date.parse(job.finishedAt), delta: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let active = 0;
    let maxActive = 0;
    for (const edge of edges) {
      active += edge.delta;
      maxActive = Math.max(maxActive, active);
    }
    expect(maxActive).toBe(LIMIT);
    // FIFO: a job is admitted only when every job before it was. Jobs admitted together (at most
    // LIMIT, when slots free at once) may write their start in any order, so no job starts after
    // LIMIT or more of the jobs submitted after it.
    const started = finals.map((job) => Date.parse(job.startedAt));
    const overtaken = started.map((at, index) => started.slice(index + 1).filter((later) => later < at).length);
    expect(Math.max(...overtaken)).toBeLessThan(LIMIT);
  });

  it('a queued job waits with reason QueuedBehindLimit, and cancelling it never starts it', async () => {
    const blockers = [];
    for (let index = 0; index < LIMIT; index += 1) blockers.push((await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 3 } })).body.id);
    const id = (await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } })).body.id;
    const waiting = await waitForJob(api, id, (job) => job.reason === 'QueuedBehindLimit');
    expect(waiting).toMatchObject({ state: 'queued', queuePosition: 0 });
    expect((await api.post(`/v1/jobs/${id}/cancel`)).status).toBe(202);
    const job = await waitForJob(api, id, isFinal);
    expect(job).toMatchObject({ state: 'cancelled', attempt: 0, startedAt: null });
    for (const blocker of blockers) await api.post(`/v1/jobs/${blocker}/cancel`);
  });
});
