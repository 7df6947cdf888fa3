// Fastify + BullMQ: the front enqueues a no-op job; worker.ts runs it. Same small API as every
// queue peer: POST /jobs, GET /jobs/:id, GET /jobs/:id/wait, GET /runs, GET /runs/count.
import { Job, Queue, QueueEvents } from 'bullmq';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const connection = { url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' };
const queue = new Queue('bench', { connection });
const events = new QueueEvents('bench', { connection });
const redis = new Redis(connection.url);
await events.waitUntilReady();

const STATES: Record<string, string> = { completed: 'succeeded', failed: 'failed', active: 'running' };
const app = Fastify({ logger: false });

app.get('/', (_request, reply) => reply.type('text/plain').send('ok'));
app.post('/jobs', async (_request, reply) => {
  const job = await queue.add('noop', {});
  return reply.code(202).send({ id: job.id });
});
app.get<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
  const job = await Job.fromId(queue, request.params.id);
  if (job === undefined) return reply.code(404).send({ id: request.params.id });
  const state = await job.getState();
  return { id: job.id, state: STATES[state] ?? 'queued' };
});
app.get<{ Params: { id: string } }>('/jobs/:id/wait', async (request, reply) => {
  const job = await Job.fromId(queue, request.params.id);
  if (job === undefined) return reply.code(404).send({ id: request.params.id });
  await job.waitUntilFinished(events, 120_000);
  return { id: job.id, state: 'succeeded' };
});
app.get('/runs', async () => redis.hgetall('bench:runs'));
app.get('/runs/count', async () => ({ count: await redis.hlen('bench:runs') }));

await app.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' });
process.once('SIGTERM', () => void Promise.all([app.close(), queue.close(), events.close(), redis.quit()]).then(() => process.exit(0)));
