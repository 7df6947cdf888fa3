import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { TenantRequest } from './auth.guard.js';

/** The tenant the `AuthGuard` resolved for this request. */
export const Tenant = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const tenant = context.switchToHttp().getRequest<TenantRequest>().tenant;
  if (tenant === undefined) throw new Error('Tenant() used on a route without AuthGuard');
  return tenant;
});
