import type { FastifyInstance } from 'fastify';
import { ErrorCode, FerryError } from '@ferry/contracts';
import { DETAIL } from './problem.js';

/**
 * Deepest nesting of arrays and objects a JSON body may have. Far more than any submission needs;
 * without a bound, a body of a few hundred kilobytes nested 100k deep overflows the stack of every
 * recursive walk after the parse (validation, canonical JSON, serialisation) and the answer is a 500.
 */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Replaces Fastify's JSON body parser with one that takes only UTF-8 (RFC 8259): another charset is
 * a 415, bytes that are not UTF-8 a 400 — not text quietly mended with U+FFFD and stored — and so
 * is nesting deeper than `MAX_JSON_DEPTH`. The parse itself stays Fastify's, which refuses
 * `__proto__` and `constructor.prototype` keys.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(new FerryError(ErrorCode.UnsupportedMediaType, `${DETAIL.sendJson} in UTF-8, not ${charset}`), undefined);
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new FerryError(ErrorCode.InvalidRequest, 'the JSON body is not valid UTF-8'), undefined);
      return;
    }
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      done(new FerryError(ErrorCode.InvalidRequest, `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    void parse(request, text, done);
  });
}

/** Whether JSON text opens more than `max` arrays or objects at once; one pass, no recursion. */
export function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1; // a backslash escapes the next character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x7b || char === 0x5b) {
      depth += 1;
      if (depth > max) return true;
    } else if (char === 0x7d || char === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}
