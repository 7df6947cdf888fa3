// Dispatch latency of the local executor: submit a `sleep 0` job over HTTP and time until its
// `succeeded` event, one job at a time (no queueing), against the process-spawn floor measured
// in the same run. Usage: npm run bench:dispatch [-- --jobs 100]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { TEST_KEYS } from '../test/support/gateway.ts';
import { RUNNER_MAIN } from '../test/support/paths.ts';
import { FerrySystem } from '../test/support/system.ts';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '100' } } });
const jobs = Number(values.jobs);

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const summary = (samples: number[]): string => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `median ${quantile(sorted, 0.5).toFixed(1)} ms   p90 ${quantile(sorted, 0.9).toFixed(1)} ms   p99 ${quantile(sorted, 0.99).toFixed(1)} ms   (n=${sorted.length})`;
};

/** The floor: spawning the same runner process for a `sleep 0` spec and waiting for its exit. */
async function spawnFloor(): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < Math.min(jobs, 50); index += 1) {
    const started = performance.now();
    const spec = JSON.stringify({ id: 'bench', tenant: 'bench', pipeline: 'sleep', kind: 'sleep', attempt: 1, params: { seconds: 0 } });
    await new Promise((resolve) => spawn(process.execPath, [RUNNER_MAIN], { env: { ...process.env, FERRY_JOB: spec }, stdio: 'ignore' }).once('exit', resolve));
    samples.push(performance.now() - started);
  }
  return samples;
}

const system = await FerrySystem.start({ gatewayEnv: { LOG_LEVEL: 'error' }, controllerEnv: { LOG_LEVEL: 'error' } });
const nc = await connect({ servers: system.nats.url });
const waiting = new Map<string, () => void>();
const subscription = nc.subscribe('ferry.events.acme.>', {
  callback: (_error, message) => {
    const event = message.json<{ type: string; job: { id: string; state: string } }>();
    if (event.type === 'state' && event.job.state === 'succeeded') waiting.get(event.job.id)?.();
  },
});
await nc.flush();

const api = system.api(TEST_KEYS.acme);
const latencies: number[] = [];
for (let index = 0; index < jobs + 5; index += 1) {
  const started = performance.now();
  const response = await api.post<{ id: string }>('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0 } });
  const id = response.body.id;
  await new Promise<void>((resolve) => {
    waiting.set(id, resolve);
    // The event may have come before we were listening (a very fast job): check the record too.
    void api.get<{ state: string }>(`/v1/jobs/${id}`).then((read) => read.body.state === 'succeeded' && resolve());
  });
  waiting.delete(id);
  // The first few warm the processes up.
  if (index >= 5) latencies.push(performance.now() - started);
}
subscription.unsubscribe();
await nc.drain();
await system.stop();

console.log(`submit → succeeded, sleep 0, one at a time: ${summary(latencies)}`);
console.log(`spawn floor (runner process, sleep 0):       ${summary(await spawnFloor())}`);
