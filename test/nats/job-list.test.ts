import { connect, type NatsConnection } from '@nats-io/transport-node';
import { newJobId, tenantIndexSubject, type Job } from '@ferry/contracts';
import { DEFAULT_TOPOLOGY, JobStore, ensureTopology, kvStreamName, type FerryNats, type ListRequest } from '@ferry/nats';
import { queuedJob } from '../support/jobs.ts';
import { TestNats } from '../support/nats.ts';

let nats: TestNats;
let connection: NatsConnection;
let handles: FerryNats;
let jobs: JobStore;

/** Creates jobs in order (the list's order is acceptance order), a few hundred in flight at a time. */
async function createAll(all: Job[]): Promise<void> {
  for (let start = 0; start < all.length; start += 256) await Promise.all(all.slice(start, start + 256).map((job) => jobs.create(job)));
}

const everything: Pick<ListRequest, 'entryMatches' | 'jobMatches'> = { entryMatches: () => true, jobMatches: () => true };

/** Every id the tenant lists, page by page, with the number of pages it took. */
async function listAll(tenant: string, limit: number, filter = everything): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let before: number | undefined;
  let pages = 0;
  do {
    const page = await jobs.list(tenant, { before, limit, ...filter });
    pages += 1;
    ids.push(...page.items.map((job) => job.id));
    before = page.nextBefore ?? undefined;
  } while (before !== undefined);
  return { ids, pages };
}

const newestFirst = (all: Job[]): string[] => all.map((job) => job.id).reverse();

beforeAll(async () => {
  nats = await TestNats.start();
  connection = await connect({ servers: nats.url });
  handles = await ensureTopology(connection, DEFAULT_TOPOLOGY);
  jobs = JobStore.on(handles);
});
afterAll(async () => {
  await connection?.drain();
  await nats?.dispose();
});

describe('JobStore.list', () => {
  it('lists a tenant newest first, and nobody else', async () => {
    const mine = [queuedJob('initech'), queuedJob('initech'), queuedJob('initech')];
    await createAll([mine[0]!, queuedJob('initech-two'), mine[1]!, queuedJob('other'), mine[2]!]);
    const page = await jobs.list('initech', { before: undefined, limit: 50, ...everything });
    expect(page.items.map((job) => job.id)).toEqual(newestFirst(mine));
    expect(page.nextBefore).toBeNull();
    expect((await jobs.list('nobody', { before: undefined, limit: 50, ...everything })).items).toEqual([]);
  });

  it('pages through a sparse tenant among 10,000 jobs of another, every job once, in order', async () => {
    const rare: Job[] = [];
    const all: Job[] = [];
    for (let index = 0; index < 10_000; index += 1) {
      all.push(queuedJob('bulk'));
      if (index % 40 === 0) {
        const job = queuedJob('sparse');
        rare.push(job);
        all.push(job);
      }
    }
    await createAll(all);
    const sparse = await listAll('sparse', 100);
    expect(sparse.ids).toEqual(newestFirst(rare));
    expect(sparse.pages).toBe(Math.ceil(rare.length / 100));
    const bulk = await listAll('bulk', 200);
    expect(bulk.ids).toEqual(newestFirst(all.filter((job) => job.tenant === 'bulk')));
  }, 120_000);

  it('reads the current record: a state change shows, and the state filter applies to it', async () => {
    const job = queuedJob('states');
    await jobs.create(job);
    await jobs.update('states', job.id, (current) => ({ ...current, state: 'cancelled' }));
    const cancelled = await jobs.list('states', { before: undefined, limit: 10, entryMatches: () => true, jobMatches: (item) => item.state === 'cancelled' });
    expect(cancelled.items.map((item) => item.state)).toEqual(['cancelled']);
    const queuedOnes = await jobs.list('states', { before: undefined, limit: 10, entryMatches: () => true, jobMatches: (item) => item.state === 'queued' });
    expect(queuedOnes.items).toEqual([]);
  });

  it('passes over an entry whose create lost, an entry nobody wrote, and a record deleted by retention', async () => {
    const kept = queuedJob('stale');
    await jobs.create(kept);
    // A second create of the same id loses the create-only race; its entry names another createdAt.
    expect(await jobs.create({ ...kept, createdAt: new Date(Date.parse(kept.createdAt) + 5).toISOString() })).toBeUndefined();
    await handles.js.publish(tenantIndexSubject('stale'), new TextEncoder().encode('not an entry'));
    await handles.js.publish(tenantIndexSubject('stale'), new TextEncoder().encode(JSON.stringify({ id: newJobId(), createdAt: 'x', pipeline: 'sleep', labels: {} })));
    const removed = queuedJob('stale');
    await jobs.create(removed);
    await jobs.purge('stale', removed.id);
    const page = await jobs.list('stale', { before: undefined, limit: 10, ...everything });
    expect(page.items.map((job) => job.id)).toEqual([kept.id]);
  });

  it('filters on the entry before reading records, and pages a rare match with short pages instead of a whole scan', async () => {
    const all = Array.from({ length: 5_000 }, (_unused, index) => queuedJob('labels', { labels: { team: index === 17 ? 'rare' : 'common' } }));
    await createAll(all);
    let examined = 0;
    const filter = {
      entryMatches: (entry: { labels: Readonly<Record<string, string>> }) => {
        examined += 1;
        return entry.labels.team === 'rare';
      },
      jobMatches: () => true,
    };
    const first = await jobs.list('labels', { before: undefined, limit: 10, ...filter });
    // The one match is 4,982 entries deep: the first page stops at its budget and says where to go on.
    expect(first.items).toEqual([]);
    expect(first.nextBefore).not.toBeNull();
    expect(examined).toBeLessThanOrEqual(2_100);
    const found = await listAll('labels', 10, filter);
    expect(found.ids).toEqual([all[17]!.id]);
  });

  it('creates nothing on the server: the jobs stream keeps its consumers through many lists', async () => {
    const stream = kvStreamName(DEFAULT_TOPOLOGY.jobsBucket);
    const before = (await handles.jsm.streams.info(stream)).state.consumer_count;
    await Promise.all(Array.from({ length: 400 }, () => jobs.list('bulk', { before: undefined, limit: 50, ...everything })));
    expect((await handles.jsm.streams.info(stream)).state.consumer_count).toBe(before);
    expect((await handles.jsm.streams.info(DEFAULT_TOPOLOGY.listIndexStream)).state.consumer_count).toBe(0);
  });

  it('starts at the newest entry for a cursor past the end', async () => {
    const job = queuedJob('future');
    await jobs.create(job);
    const page = await jobs.list('future', { before: Number.MAX_SAFE_INTEGER, limit: 5, ...everything });
    expect(page.items.map((item) => item.id)).toEqual([job.id]);
  });
});
