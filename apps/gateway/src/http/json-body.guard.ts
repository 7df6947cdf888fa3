import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, FerryError } from '@ferry/contracts';
import { DETAIL } from './problem.js';

/**
 * A route that takes a JSON body refuses any other media type — or none — with 415. A guard, so it
 * runs before validation turns a missing body into a 400.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const contentType = context.switchToHttp().getRequest<FastifyRequest>().headers['content-type'];
    if (contentType === undefined || !/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new FerryError(ErrorCode.UnsupportedMediaType, DETAIL.sendJson);
    }
    return true;
  }
}
