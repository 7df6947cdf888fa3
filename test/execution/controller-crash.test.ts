import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Api } from '../support/api.ts';
import { FerrySystem, isFinal } from '../support/system.ts';

const JOBS = 200;
const STATE_RANK: Record<string, number> = { queued: 0, starting: 1, running: 2, succeeded: 3, failed: 3, cancelled: 3 };
let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start({ controllerEnv: { FERRY_MAX_CONCURRENT: '8' } });
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

/** Every state event the stream holds, per job, in stream order. */
async function stateHistory(natsUrl: string): Promise<Map<string, Array<{ state: string; attempt: number }>>> {
  const connection = await connect({ servers: natsUrl });
  const consumer = await jetstream(connection).consumers.get('FERRY_EVENTS', { filter_subjects: 'ferry.events.acme.>', deliver_policy: DeliverPolicy.All });
  const history = new Map<string, Array<{ state: string; attempt: number }>>();
  const messages = await consumer.fetch({ max_messages: 100_000, expires: 2_000 });
  for await (const message of messages) {
    const event = message.json<{ type: string; job: { id: string; state: string; attempt: number } }>();
    if (event.type !== 'state') continue;
    const list = history.get(event.job.id) ?? [];
    list.push({ state: event.job.state, attempt: event.job.attempt });
    history.set(event.job.id, list);
    if (message.info.pending === 0) break;
  }
  await connection.drain();
  return history;
}

describe('kill -9 of the controller with 200 jobs in flight', () => {
  it('every accepted job reaches a final state exactly once: none lost, duplicated or regressed', async () => {
    const accepted: string[] = [];
    for (let index = 0; index < JOBS; index += 1) {
      const response = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0.2 + (index % 4) * 0.1 }, maxAttempts: 3 });
      if (response.status === 202) accepted.push(response.body.id);
    }
    // Let some finish and many run, then kill the controller without warning, and restart it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await system.controller.kill('SIGKILL');
    system.controller = system.startController();

    const finals = new Map<string, string>();
    const deadline = Date.now() + 120_000;
    while (finals.size < accepted.length && Date.now() < deadline) {
      for (const id of accepted.filter((candidate) => !finals.has(candidate))) {
        const job = (await api.get(`/v1/jobs/${id}`)).body;
        if (isFinal(job)) finals.set(id, job.state);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const history = await stateHistory(system.nats.url);
    let duplicated = 0;
    let regressed = 0;
    for (const id of accepted) {
      const events = history.get(id) ?? [];
      if (events.filter((event) => event.state === 'succeeded').length > 1) duplicated += 1;
      for (let index = 1; index < events.length; index += 1) {
        const before = events[index - 1];
        const after = events[index];
        if (before === undefined || after === undefined) continue;
        const backwards = after.attempt < before.attempt || (after.attempt === before.attempt && (STATE_RANK[after.state] ?? 0) < (STATE_RANK[before.state] ?? 0));
        if (backwards) regressed += 1;
      }
    }
    const report = { accepted: accepted.length, final: finals.size, lost: accepted.length - finals.size, duplicated, regressed, unknown: 0 };
    console.log('controller kill -9 checker:', JSON.stringify(report), 'states:', JSON.stringify(countBy([...finals.values()])));
    expect(report).toMatchObject({ accepted: JOBS, final: JOBS, lost: 0, duplicated: 0, regressed: 0 });
  }, 180_000);
});

function countBy(values: string[]): Record<string, number> {
  return values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});
}
