// The BullMQ worker: a no-op that counts its own runs (for the burst's lost / duplicated check).
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const redis = new Redis(url);
// Concurrency 4: the same number of jobs at once as Ferry's local executor on 2 cores.
const worker = new Worker('bench', async (job) => void (await redis.hincrby('bench:runs', job.id ?? '?', 1)), { connection: { url }, concurrency: 4 });
process.once('SIGTERM', () => void Promise.all([worker.close(), redis.quit()]).then(() => process.exit(0)));
