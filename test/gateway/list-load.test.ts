import { connect, type NatsConnection } from '@nats-io/transport-node';
import { LIST_LIMIT, transitionJob } from '@ferry/contracts';
import { DEFAULT_TOPOLOGY, JobStore, ensureTopology, kvStreamName, type FerryNats } from '@ferry/nats';
import type { Api } from '../support/api.ts';
import { queuedJob } from '../support/jobs.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

const RETAINED = 20_000;
const LISTS = 5_000;
/** As many connections as a few dashboards and users hold; each asks for a dashboard's page of 20. */
const LISTERS = 8;

let system: FerrySystem;
let connection: NatsConnection;
let handles: FerryNats;
let api: Api;

/** 20,000 finished jobs of one tenant, written straight to the store as a week of history would be. */
async function retainHistory(tenant: string): Promise<void> {
  const jobs = JobStore.on(handles);
  const now = new Date();
  for (let start = 0; start < RETAINED; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, RETAINED - start) }, async () => {
        const queued = queuedJob(tenant, { labels: { team: 'data' }, maxAttempts: 1 }, now);
        await jobs.create(transitionJob(queued, { state: 'cancelled', reason: 'Cancelled' }, now));
      }),
    );
  }
}

async function consumersOnJobs(): Promise<number> {
  return (await handles.jsm.streams.info(kvStreamName(DEFAULT_TOPOLOGY.jobsBucket))).state.consumer_count;
}

beforeAll(async () => {
  // Rate limiting off: what is under test is what a list costs the server, not the limiter. The
  // controller resyncs at its default interval (30 s), not the tests' 2 s: a full resync reads all
  // 20,000 keys, which is the controller's cost, not the list's.
  system = await FerrySystem.start({ gatewayEnv: { FERRY_RATE_LIMIT: '0' }, controllerEnv: { FERRY_RESYNC_SECONDS: '30' } });
  api = system.api();
  connection = await connect({ servers: system.nats.url });
  handles = await ensureTopology(connection, DEFAULT_TOPOLOGY);
  await retainHistory('acme');
}, 180_000);
afterAll(async () => {
  await connection?.drain();
  await system?.stop();
});

describe('listing under load, with 20,000 retained jobs', () => {
  it('answers 5,000 lists within a minute, all 200, while the controller runs jobs, and leaves no consumer behind', async () => {
    const baseline = await consumersOnJobs();
    const statuses = new Map<number, number>();
    let sent = 0;
    const started = Date.now();
    const listing = Promise.all(
      Array.from({ length: LISTERS }, async () => {
        while (sent < LISTS) {
          sent += 1;
          const response = await api.get('/v1/jobs?limit=20');
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }),
    );
    // The controller keeps working meanwhile: jobs submitted during the listing run to the end.
    const submitted = await Promise.all(Array.from({ length: 10 }, async () => (await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0.2 } })).body.id as string));
    const finished = await Promise.all(submitted.map((id) => waitForJob(api, id, isFinal, 60_000)));
    await listing;
    const elapsedMs = Date.now() - started;

    expect(Object.fromEntries(statuses)).toEqual({ 200: LISTS });
    expect(elapsedMs).toBeLessThan(60_000);
    expect(finished.map((job) => job.state)).toEqual(submitted.map(() => 'succeeded'));
    expect(await consumersOnJobs()).toBe(baseline);
  }, 120_000);

  it('pages the whole history, newest first, every job once', async () => {
    const seen = new Set<string>();
    let previous = '~';
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string; tenant: string }[]; nextCursor: string | null } } = await api.get(`/v1/jobs?limit=${LIST_LIMIT.max}${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(page.status).toBe(200);
      for (const job of page.body.items) {
        expect(job.id < previous).toBe(true);
        previous = job.id;
        seen.add(job.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen.size).toBeGreaterThanOrEqual(RETAINED);
  });
});
