import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ErrorCode, FerryError } from '@ferry/contracts';
import { HttpError } from './http-error.js';
import { DETAIL, fromFastifyError } from './problem.js';
import { sendProblem } from './problem.reply.js';

/**
 * The one place errors become HTTP answers. Nest routes every error here — its own, Fastify's
 * body-parsing errors, and those of the raw Fastify routes — so each leaves as a problem document.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const domain = toDomain(exception);
    if (domain === undefined) this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    sendProblem(host.switchToHttp().getResponse<FastifyReply>(), domain);
  }
}

function toDomain(exception: unknown): FerryError | HttpError | undefined {
  if (exception instanceof FerryError || exception instanceof HttpError) return exception;
  // Nest wraps Fastify's 4xx errors (body parsing, limits) in an HttpException with the original as cause.
  const fastifyError = exception instanceof HttpException ? exception.cause : exception;
  // The JSON body parser's own refusals (charset, UTF-8, nesting) arrive that way too.
  if (fastifyError instanceof FerryError) return fastifyError;
  if (fastifyError instanceof Error) {
    const fromFastify = fromFastifyError(fastifyError);
    if (fromFastify !== undefined) return fromFastify;
  }
  if (!(exception instanceof HttpException)) return undefined;
  switch (exception.getStatus()) {
    case 404:
      return new FerryError(ErrorCode.NotFound, 'no such route');
    case 400:
      return new FerryError(ErrorCode.InvalidRequest, exception.message);
    case 413:
      return new FerryError(ErrorCode.PayloadTooLarge, DETAIL.bodyTooLarge);
    case 415:
      return new FerryError(ErrorCode.UnsupportedMediaType, DETAIL.sendJson);
    default:
      return undefined;
  }
}
