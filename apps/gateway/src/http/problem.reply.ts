import type { FastifyReply } from 'fastify';
import { FerryError } from '@ferry/contracts';
import { HttpError } from './http-error.js';
import { PROBLEM_CONTENT_TYPE, problemOf, type Problem } from './problem.js';

/**
 * Sends an error as a problem document: a domain error with its own status, anything else as a
 * 500 with a generic detail (the caller logs the cause).
 */
export function sendProblem(reply: FastifyReply, error: FerryError | HttpError | undefined): void {
  const problem: Problem =
    error === undefined
      ? { type: 'urn:ferry:problem:internal', title: 'Internal server error', status: 500, detail: 'internal error' }
      : problemOf(error);
  if (reply.sent || reply.raw.headersSent) return;
  if (error instanceof FerryError && error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
  if (error instanceof HttpError && error.allow !== undefined) void reply.header('allow', error.allow.join(', '));
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
