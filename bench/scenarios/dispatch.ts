// Scenario 3, dispatch: submit → runner started → `succeeded` for a `sleep 0` job, as the client
// sees it. One job at a time (median, p99), then 8 clients in closed loops (jobs/s sustained).
// Against the process-spawn floor (Ferry's runner spawned bare) and each peer's no-op task.
import { Ferry } from '../lib/ferry.ts';
import { FerryJobs, PeerJobs, RayJobs, runJobs, timeOneJob, type JobClient } from '../lib/jobs.ts';
import type { Measurement } from '../lib/measurement.ts';
import { startBullmq, startCelery, startRayActorFront, startRayCluster, startRq, type QueuePeerOptions, type RunningPeer } from '../lib/peers.ts';
import { withTimeout } from '../lib/processes.ts';
import { alternate, Collector, selected, using, type ScenarioOptions, type Subject } from '../lib/scenario.ts';
import { spawnMany } from '../lib/spawn-floor.ts';
import { median, quantile } from '../lib/stats.ts';

const SCENARIO = 'dispatch sleep 0';
const IN_FLIGHT = 8;
const WARMUP_JOBS = 3;

export async function run(options: ScenarioOptions): Promise<Measurement[]> {
  const sequential = options.quick ? 20 : 100;
  const sustained = options.quick ? 40 : 300;
  const collector = new Collector();
  const note = (jobs: number, total: number): string =>
    `${jobs} jobs one at a time for the latency, then ${total} jobs by ${IN_FLIGHT} clients in closed loops for jobs/s; ` +
    `after ${WARMUP_JOBS} warm-up jobs. Ferry: controller with its defaults (4 runner processes at once on 2 cores), completion from ` +
    'its events subject; queue peers on Redis with appendfsync always, completion by a blocking wait on the queue\'s result; ' +
    'Ray Jobs polled every 20 ms; the spawn floor runs the same number of bare runner processes (4 at once for jobs/s).';

  const record = (subject: string, latencies: number[], jobsPerSecond: number, jobs: number, total: number): void => {
    collector.add(SCENARIO, 'median ms', subject, false, median(latencies), note(jobs, total));
    collector.add(SCENARIO, 'p99 ms', subject, false, quantile(latencies, 0.99), note(jobs, total));
    collector.add(SCENARIO, 'jobs/s', subject, true, jobsPerSecond, note(jobs, total));
  };

  const measure = async (subject: string, client: JobClient, jobs = sequential, total = sustained): Promise<void> => {
    for (let index = 0; index < WARMUP_JOBS; index += 1) await withTimeout(timeOneJob(client), 120_000, `${subject} warm-up job`);
    const one = await withTimeout(runJobs(client, jobs, 1), 600_000, `${subject} ${jobs} jobs one at a time`);
    const many = await withTimeout(runJobs(client, total, IN_FLIGHT), 600_000, `${subject} ${total} jobs by ${IN_FLIGHT} clients`);
    record(subject, one.latencies, many.jobsPerSecond, jobs, total);
  };

  const queuePeer = (name: string, start: (options: QueuePeerOptions) => Promise<RunningPeer>): Subject => ({
    name,
    round: () => using(start({ fsync: 'always', workers: true }), (peer) => measure(name, new PeerJobs(peer.url))),
  });

  await alternate('dispatch', options, collector, [
    {
      name: 'ferry',
      round: () =>
        using(Ferry.start({ controller: true }), async (ferry) => {
          const client = await FerryJobs.open(ferry);
          try {
            await measure('ferry', client);
          } finally {
            await client.close();
          }
        }),
    },
    {
      name: 'spawn floor',
      round: async () => {
        await spawnMany(WARMUP_JOBS, 1);
        const one = await spawnMany(sequential, 1);
        const many = await spawnMany(sustained, 4);
        record('spawn floor', one.latencies, sustained / (many.elapsedMs / 1000), sequential, sustained);
      },
    },
    queuePeer('bullmq+fastify', startBullmq),
    queuePeer('celery+starlette', startCelery),
    queuePeer('rq+starlette', startRq),
    {
      // One cluster per round for both Ray patterns; Ray is slow to start, so the sizes are smaller.
      name: 'ray',
      round: () =>
        using(startRayCluster(), async (cluster) => {
          const few = Math.max(5, Math.round(sequential / 4));
          if (selected(options, 'ray actor')) await using(startRayActorFront(cluster), (front) => measure('ray actor/request', new PeerJobs(front.url), few, few * 2));
          await measure('ray jobs api', new RayJobs(cluster.dashboardUrl), few, few);
        }),
    },
  ]);
  return collector.measurements();
}
