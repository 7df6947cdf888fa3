// Scenario 4, burst: N `sleep 0` jobs submitted as fast as 50 clients can (5,000; 500 quick).
// Intake rate, drain time (first submit → last job finished) against the spawn floor (the same
// number of bare runner processes, 4 at once like Ferry's local slots), status-read p99 during
// the backlog and idle afterwards, and lost / duplicated jobs, which must be 0.
import { Ferry } from '../lib/ferry.ts';
import { FerryJobs, PeerJobs, timeOneJob, type JobClient } from '../lib/jobs.ts';
import type { Measurement } from '../lib/measurement.ts';
import { startBullmq, startCelery, startRq, type QueuePeerOptions, type RunningPeer } from '../lib/peers.ts';
import { sleep, withTimeout } from '../lib/processes.ts';
import { alternate, Collector, using, type ScenarioOptions, type Subject } from '../lib/scenario.ts';
import { spawnMany } from '../lib/spawn-floor.ts';
import { quantile } from '../lib/stats.ts';

const SCENARIO = 'burst sleep 0';
const SUBMITTERS = 50;
const IDLE_READS = 200;

interface BurstResult {
  readonly intakePerSecond: number;
  readonly drainSeconds: number;
  readonly backlogReads: number[];
  readonly idleReads: number[];
  readonly lost: number;
  readonly duplicated: number;
}

/** Submits `count` jobs from 50 loops while one reader polls statuses; waits for the drain. */
async function burst(client: JobClient, count: number, drainTimeoutMs: number): Promise<BurstResult> {
  for (let index = 0; index < 2; index += 1) await withTimeout(timeOneJob(client), 120_000, 'warm-up job');
  const before = await client.doneCount();
  const ids: string[] = [];
  const started = performance.now();
  let lastAck = started;
  let next = 0;
  const submitting = Promise.all(
    Array.from({ length: SUBMITTERS }, async () => {
      while (next < count) {
        next += 1;
        ids.push((await client.submit()).id);
        lastAck = performance.now();
      }
    }),
  );
  // One reader, one read at a time, of a random job already acknowledged: what a dashboard does.
  const backlogReads: number[] = [];
  let drained = false;
  const reading = (async () => {
    while (!drained) {
      const id = ids[Math.floor(Math.random() * ids.length)];
      if (id === undefined) {
        await sleep(5);
        continue;
      }
      const readStarted = performance.now();
      await client.status(id);
      if (!drained) backlogReads.push(performance.now() - readStarted);
      await sleep(5);
    }
  })();
  await submitting;
  const intakePerSecond = count / ((lastAck - started) / 1000);
  const deadline = performance.now() + drainTimeoutMs;
  let done = 0;
  while ((done = (await client.doneCount()) - before) < count && performance.now() < deadline) await sleep(25);
  const drainSeconds = (performance.now() - started) / 1000;
  drained = true;
  await reading;

  const idleReads: number[] = [];
  for (let index = 0; index < IDLE_READS; index += 1) {
    const id = ids[Math.floor(Math.random() * ids.length)]!;
    const readStarted = performance.now();
    await client.status(id);
    idleReads.push(performance.now() - readStarted);
  }
  await sleep(500); // Late duplicates would show up here.
  const { lost, duplicated } = await lostAndDuplicated(client, ids, count - done);
  return { intakePerSecond, drainSeconds, backlogReads, idleReads, lost, duplicated };
}

/** Lost: acknowledged but never run; duplicated: run (or completed) more than once, or the same id twice. */
async function lostAndDuplicated(client: JobClient, ids: readonly string[], notDrained: number): Promise<{ lost: number; duplicated: number }> {
  const sameIdTwice = ids.length - new Set(ids).size;
  if (client instanceof FerryJobs) {
    const lost = ids.filter((id) => !client.succeeded.has(id)).length;
    const completedTwice = ids.filter((id) => (client.succeeded.get(id) ?? 0) > 1).length;
    // A second attempt would be a second run even if one succeeded event came out of it.
    let rerun = 0;
    for (const id of ids.slice(0, 200)) if (((await client.status(id)).attempt ?? 1) > 1) rerun += 1;
    return { lost: Math.max(lost, notDrained), duplicated: sameIdTwice + completedTwice + rerun };
  }
  const runs = (await client.runs?.()) ?? {};
  return {
    lost: Math.max(ids.filter((id) => runs[id] === undefined).length, notDrained),
    duplicated: sameIdTwice + ids.filter((id) => (runs[id] ?? 0) > 1).length,
  };
}

export async function run(options: ScenarioOptions): Promise<Measurement[]> {
  const count = options.burstJobs ?? (options.quick ? 500 : 5000);
  const rounds = options.burstRounds ?? 1;
  const drainTimeoutMs = (options.quick ? 5 : 20) * 60_000;
  const collector = new Collector();
  const note =
    `${count} jobs submitted by ${SUBMITTERS} concurrent clients over HTTP; drain = first submit → last job finished ` +
    `(Ferry: its succeeded events; peers: runs counted by the task in Redis); status reads: one at a time, random acknowledged job, ` +
    `during the backlog and ${IDLE_READS} after it (idle). Ferry runs 4 runner processes at once (its default on 2 cores); BullMQ worker ` +
    'concurrency 4; Celery prefork 2; RQ worker-pool 2 (a fork per job); Redis appendfsync always. Ray is not in the burst: ' +
    'actor-per-request answers when done (no queue to fill) and Ray Jobs starts about one job a second here (see dispatch).';

  const record = (subject: string, result: BurstResult): void => {
    collector.add(SCENARIO, 'intake jobs/s', subject, true, result.intakePerSecond, note);
    collector.add(SCENARIO, 'drain s', subject, false, result.drainSeconds, note);
    collector.add(SCENARIO, 'status p99 ms (backlog)', subject, false, quantile(result.backlogReads, 0.99), note);
    collector.add(SCENARIO, 'status p99 ms (idle)', subject, false, quantile(result.idleReads, 0.99), note);
    collector.add(SCENARIO, 'lost', subject, false, result.lost, note);
    collector.add(SCENARIO, 'duplicated', subject, false, result.duplicated, note);
    if (result.lost > 0 || result.duplicated > 0) options.log?.(`${SCENARIO}: ${subject}: ${result.lost} LOST, ${result.duplicated} DUPLICATED`);
  };

  const queuePeer = (name: string, start: (options: QueuePeerOptions) => Promise<RunningPeer>): Subject => ({
    name,
    round: () => using(start({ fsync: 'always', workers: true }), async (peer) => record(name, await burst(new PeerJobs(peer.url), count, drainTimeoutMs))),
  });

  await alternate('burst', { ...options, rounds }, collector, [
    {
      name: 'ferry',
      round: () =>
        using(Ferry.start({ controller: true }), async (ferry) => {
          const client = await FerryJobs.open(ferry);
          try {
            record('ferry', await burst(client, count, drainTimeoutMs));
          } finally {
            await client.close();
          }
        }),
    },
    {
      name: 'spawn floor',
      round: async () => {
        const { elapsedMs } = await spawnMany(count, 4);
        collector.add(SCENARIO, 'drain s', 'spawn floor', false, elapsedMs / 1000, note);
      },
    },
    queuePeer('bullmq+fastify', startBullmq),
    queuePeer('celery+starlette', startCelery),
    queuePeer('rq+starlette', startRq),
  ]);
  return collector.measurements();
}
