import type { FastifyInstance } from 'fastify';
import type { GatewayMetrics } from '../metrics/metrics.js';
import { HttpError, HttpErrorCode } from './http-error.js';
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


  letOversizedBodiesDrain(fastify);

  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/** Bodies up to this size are read to the end after a 413, so the client can read the answer. */
const DRAIN_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Fastify answers a body over the limit with a 413 without reading the body, then closes. A client
 * that writes the whole body before reading (Python's urllib and requests) writes into a closed
 * socket and sees a broken pipe instead of the problem. For a declared length up to
 * DRAIN_MAX_BYTES the answer waits until the body has been read off the wire (and discarded);
 * past it, closing at once is cheaper than reading.
 */
function letOversizedBodiesDrain(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const body = request.raw;
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (reply.statusCode !== 413 || body.complete || !(declared <= DRAIN_MAX_BYTES)) return done(null, payload);
    // Whichever comes first: the body's end, or the client going away mid-body.
    let sent = false;
    const send = (): void => {
      if (sent) return;
      sent = true;
      done(null, payload);
    };
    body.once('end', send);
    body.once('close', send);
    body.resume();
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
    done(new HttpError(HttpErrorCode.MethodNotAllowed, `${request.method} is not a method of ${path}; it has ${allow.join(', ')}`, allow));
  });
}
