import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { registerJsonBodyParser } from './json-body.parser.js';

/**
 * What the gateway sets on Fastify itself, outside Nest: the hot public routes (no Nest pipeline
 * on them), JSON-only body parsing and the request-duration metric. Errors of these routes still
 * reach Nest's `ProblemFilter`.
 */
export function configureFastify(fastify: FastifyInstance, metrics: GatewayMetrics): void {
  // Only JSON bodies are accepted; any other media type is a 415 from Fastify's parser lookup.
  fastify.removeContentTypeParser(['text/plain']);
  registerJsonBodyParser(fastify);

  fastify.get('/', (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok: service is running'));
  fastify.post('/echo', (request, reply) => reply.send(request.body ?? null));


  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
