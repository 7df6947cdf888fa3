// Bare Fastify: the Node ceiling of the HTTP floor (no Nest, no hooks, default JSON parser).
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok: service is running'));
app.post('/echo', (request, reply) => reply.send(request.body ?? null));
await app.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
