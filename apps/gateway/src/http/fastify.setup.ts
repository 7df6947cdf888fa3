import type { FastifyInstance } from 'fastify';
import { ErrorCode, FerryError } from '@ferry/contracts';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { registerJsonBodyParser } from './json-body.parser.js';
import { RouteMethods } from './route-methods.js';

/**
 * What the gateway sets on Fastify itself, outside Nest: the hot public routes (no Nest pipeline
 * on them), JSON-only body parsing, 405 for a known path with another method, and the
 * request-duration metric. Errors of these routes still reach Nest's `ProblemFilter`. Call it
 * before any other route is added (Nest adds its own at `listen`), so every route is seen.
 */
export function configureFastify(fastify: FastifyInstance, metrics: GatewayMetrics): void {
  answerWrongMethods(fastify);
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

/** A request no route took, on a path that some route has: 405 with the methods it does have. */
function answerWrongMethods(fastify: FastifyInstance): void {
  const routes = new RouteMethods();
  fastify.addHook('onRoute', (route) => routes.add(route.method, route.url));
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (!request.is404) return done();
    const path = request.url.split('?', 1)[0] ?? request.url;
    const allow = routes.allowed(path);
    if (allow.length === 0) return done();
    done(new FerryError(ErrorCode.MethodNotAllowed, `${request.method} is not a method of ${path}; it has ${allow.join(', ')}`, { allow }));
  });
}
