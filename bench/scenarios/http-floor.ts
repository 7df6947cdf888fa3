// Scenario 1, the HTTP floor: `GET /` and `POST /echo` at 50 connections, requests/s and p99, for
// Ferry's gateway (raw Fastify routes inside the NestJS app), Starlette + uvicorn (2 workers) and
// bare Fastify (the Node ceiling).
import { Ferry } from '../lib/ferry.ts';
import type { Measurement } from '../lib/measurement.ts';
import { runLoad } from '../lib/load.ts';
import { startBareFastify, startStarlette } from '../lib/peers.ts';
import { alternate, Collector, using, type ScenarioOptions, type Subject } from '../lib/scenario.ts';

const CONNECTIONS = 50;
const ECHO_BODY = JSON.stringify({ job: 'nightly', params: { seconds: 0, rows: [1, 2, 3] }, labels: { team: 'data' } });

export async function run(options: ScenarioOptions): Promise<Measurement[]> {
  const seconds = options.quick ? 3 : 10;
  const warmup = options.quick ? 1 : 2;
  const collector = new Collector();
  const note = `${CONNECTIONS} connections, ${seconds} s per round after ${warmup} s warm-up; autocannon in its own process`;

  const measure = async (subject: string, url: string): Promise<void> => {
    const routes = [
      { scenario: 'http-floor GET /', load: { url: `${url}/` } },
      { scenario: 'http-floor POST /echo', load: { url: `${url}/echo`, method: 'POST' as const, body: ECHO_BODY, headers: { 'content-type': 'application/json' } } },
    ];
    for (const route of routes) {
      await runLoad({ ...route.load, connections: CONNECTIONS, seconds: warmup });
      const result = await runLoad({ ...route.load, connections: CONNECTIONS, seconds });
      collector.add(route.scenario, 'requests/s', subject, true, result.requestsPerSecond, note);
      collector.add(route.scenario, 'p99 ms', subject, false, result.p99Ms, note);
    }
  };

  const subjects: Subject[] = [
    { name: 'ferry', round: () => using(Ferry.start(), (ferry) => measure('ferry', ferry.url)) },
    { name: 'starlette+uvicorn', round: () => using(startStarlette(), (peer) => measure(peer.name, peer.url)) },
    { name: 'fastify (bare)', round: () => using(startBareFastify(), (peer) => measure(peer.name, peer.url)) },
  ];
  await alternate('http-floor', options, collector, subjects);
  return collector.measurements();
}
