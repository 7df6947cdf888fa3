// Measures the two submission designs of docs/decisions/0002-submission-is-the-kv-create.md on this machine, side by side in one run:
//   A) the KV create alone is the submission (the controller consumes the bucket's stream);
//   B) a KV create plus a publish to a separate work-queue stream.
// Usage: npm run bench:intake  [-- --seconds 5 --concurrency 64]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { ensureNatsServer, freePort, startNatsServer } from '../scripts/lib/nats-server.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '64' } } });
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const storeDir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
const server = await startNatsServer({ binary: await ensureNatsServer(), port: await freePort(), storeDir });
const nc = await connect({ servers: server.url });
const js = jetstream(nc);
await (await jetstreamManager(nc)).streams.add({ name: 'WORK', subjects: ['work.>'], retention: RetentionPolicy.Workqueue, storage: StorageType.File });
const kv = await new Kvm(js).create('bench-jobs', { history: 1, storage: StorageType.File });
let counter = 0;
const payload = new TextEncoder().encode(JSON.stringify({ pipeline: 'sleep', params: { seconds: 0 }, state: 'queued', padding: 'x'.repeat(300) }));

async function measure(name: string, submit: (key: string) => Promise<unknown>): Promise<void> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async (_unused, worker) => {
      while (performance.now() < deadline) {
        const started = performance.now();
        await submit(`${name}.w${worker}-${(counter += 1)}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const p = (q: number): string => (latencies[Math.floor(q * (latencies.length - 1))] ?? 0).toFixed(2);
  console.log(`${name.padEnd(22)} ${(latencies.length / seconds).toFixed(0).padStart(7)} jobs/s   p50 ${p(0.5)} ms   p99 ${p(0.99)} ms`);
}

console.log(`nats-server with sync_interval: always; ${concurrency} concurrent submitters, ${seconds}s each\n`);
for (let round = 0; round < 2; round += 1) {
  await measure('kv-create', (key) => kv.create(key, payload));
  await measure('kv-create-and-publish', async (key) => {
    await kv.create(key, payload);
    await js.publish(`work.${key}`, payload);
  });
}
await nc.drain();
await server.stop();
await rm(storeDir, { recursive: true, force: true });
