// Scenario 2, durable intake: `POST /v1/jobs` (recorded in JetStream KV, then 202) against each
// queue peer's enqueue behind HTTP, at 50 connections. Durability like for like: Ferry with
// `sync_interval: always` (its default) and with NATS's default (2 min), the Redis peers with
// `appendfsync always` and with Redis's default (everysec). Nothing consumes the jobs here.
import { Ferry, SLEEP_0, type FerrySync } from '../lib/ferry.ts';
import { runLoad, type LoadOptions } from '../lib/load.ts';
import type { Measurement } from '../lib/measurement.ts';
import { startBullmq, startCelery, startRq, type QueuePeerOptions, type RunningPeer } from '../lib/peers.ts';
import type { RedisFsync } from '../lib/redis.ts';
import { alternate, Collector, using, type ScenarioOptions, type Subject } from '../lib/scenario.ts';

const CONNECTIONS = 50;
const SCENARIO = 'intake POST';

const TAGS: Record<FerrySync | RedisFsync, string> = { always: '[fsync always]', default: '[fsync default]', everysec: '[fsync default]' };

export async function run(options: ScenarioOptions): Promise<Measurement[]> {
  const seconds = options.quick ? 3 : 10;
  const warmup = options.quick ? 1 : 2;
  const collector = new Collector();
  const note =
    `${CONNECTIONS} connections, ${seconds} s per round after ${warmup} s warm-up; every answer 2xx; no consumer running. ` +
    'fsync always = NATS sync_interval: always / Redis appendfsync always; fsync default = NATS 2 min / Redis everysec. Rate limit off.';

  const measure = async (subject: string, load: Omit<LoadOptions, 'connections' | 'seconds'>): Promise<void> => {
    await runLoad({ ...load, connections: CONNECTIONS, seconds: warmup });
    const result = await runLoad({ ...load, connections: CONNECTIONS, seconds });
    collector.add(SCENARIO, 'requests/s', subject, true, result.requestsPerSecond, note);
    collector.add(SCENARIO, 'p99 ms', subject, false, result.p99Ms, note);
  };

  const ferry = (sync: FerrySync): Subject => {
    const name = `ferry ${TAGS[sync]}`;
    return {
      name,
      round: () => using(Ferry.start({ sync }), (system) => measure(name, { url: `${system.url}/v1/jobs`, method: 'POST', body: SLEEP_0, headers: system.headers })),
    };
  };
  const peer = (label: string, start: (options: QueuePeerOptions) => Promise<RunningPeer>, fsync: RedisFsync): Subject => {
    const name = `${label} ${TAGS[fsync]}`;
    return {
      name,
      round: () => using(start({ fsync, workers: false }), (system) => measure(name, { url: `${system.url}/jobs`, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })),
    };
  };

  await alternate('intake', options, collector, [
    ferry('always'),
    peer('bullmq+fastify', startBullmq, 'always'),
    peer('celery+starlette', startCelery, 'always'),
    peer('rq+starlette', startRq, 'always'),
    ferry('default'),
    peer('bullmq+fastify', startBullmq, 'everysec'),
    peer('celery+starlette', startCelery, 'everysec'),
    peer('rq+starlette', startRq, 'everysec'),
  ]);
  return collector.measurements();
}
