import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, FerryError, type FieldError } from '@ferry/contracts';

/**
 * Key names a submission may not use anywhere in its body: the members of `Object.prototype`
 * (`constructor`, `toString`, `valueOf`, …) and `prototype`. Nest's validation deletes
 * `constructor` and `prototype` keys and class-transformer drops keys named like a method, so a
 * job would silently lose them; refused up front, the client learns which key and nothing changes.
 * (`__proto__` is among them; the JSON parser refuses it before this runs.)
 */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** The paths (`params.a.constructor`) of every reserved key in a parsed JSON value; no recursion. */
export function reservedKeyPaths(value: unknown): string[] {
  const found: string[] = [];
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [current, path] = stack.pop() as [unknown, string];
    if (current === null || typeof current !== 'object') continue;
    for (const [key, item] of Object.entries(current)) {
      const itemPath = path === '' ? key : `${path}.${key}`;
      if (!Array.isArray(current) && RESERVED.has(key)) found.push(itemPath);
      stack.push([item, itemPath]);
    }
  }
  return found.sort();
}

/** Refuses, with 400 naming each one, a body that uses a reserved key name. A guard: it must see the body before validation does. */
@Injectable()
export class ReservedKeysGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const paths = reservedKeyPaths(context.switchToHttp().getRequest<FastifyRequest>().body);
    if (paths.length > 0) {
      const errors: FieldError[] = paths.map((field) => ({ field, message: 'is a reserved key name (a member of Object.prototype); use another' }));
      throw new FerryError(ErrorCode.InvalidRequest, `reserved key names: ${paths.join(', ')}`, { errors });
    }
    return true;
  }
}
