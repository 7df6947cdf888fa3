import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, FerryError } from '@ferry/contracts';
import { HttpError, HttpErrorCode } from './http-error.js';
import { problemOf, PROBLEM_CONTENT_TYPE } from './problem.js';
import { sendProblem } from './problem.reply.js';

/**
 * Requests Node's HTTP parser refuses before there is a request (a malformed request line or header,
 * raw bytes in the URL, a bad Content-Length, headers over the size limit, a request that took too
 * long to arrive) still get a problem document, written straight to the socket, which is then closed.
 * Fastify's default handler answers these with its own JSON.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const problem = problemOf(clientErrorOf(error.code));
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? problem.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function clientErrorOf(code: string | undefined): FerryError | HttpError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HttpError(HttpErrorCode.HeaderTooLarge, 'the request line and headers are over the size limit');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new HttpError(HttpErrorCode.RequestTimeout, 'the request did not arrive in time');
    default:
      return new FerryError(ErrorCode.InvalidRequest, 'the request is not valid HTTP/1.1');
  }
}

/** Errors of Fastify's router (a URL whose percent-encoding is not UTF-8), which never reach Nest's filter. */
export function answerFrameworkError(error: Error & { code?: string }, _request: FastifyRequest, reply: FastifyReply): void {
  const known = error.code === 'FST_ERR_BAD_URL' ? new FerryError(ErrorCode.InvalidRequest, 'the URL is not valid: its percent-encoding is not UTF-8') : undefined;
  sendProblem(reply, known);
}
