import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ErrorCode, FerryError } from '@ferry/contracts';
import { hashApiKey, type ApiKeyTable } from './api-keys.js';
import { TokenBuckets } from './token-bucket.js';

export const API_KEYS = Symbol('API_KEYS');
export const RATE_LIMITER = Symbol('RATE_LIMITER');
/** Tenant of every request when auth is off (`FERRY_AUTH=off`). */
export const DEFAULT_TENANT = 'default';

export interface AuthSettings {
  readonly enabled: boolean;
  readonly keys: ApiKeyTable;
}

export type TenantRequest = FastifyRequest & { tenant?: string };

/** Resolves the bearer key to a tenant (401 otherwise), then charges the tenant's rate limit (429). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(API_KEYS) private readonly auth: AuthSettings,
    @Inject(RATE_LIMITER) private readonly limiter: TokenBuckets | null,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<TenantRequest>();
    const tenant = this.auth.enabled ? this.authenticate(request) : DEFAULT_TENANT;
    this.charge(tenant, `tenant ${tenant} is over its request rate`);
    request.tenant = tenant;
    return true;
  }

  /**
   * The tenant of the request's key. A request without a valid key is charged to its client
   * address, so guessing keys is as rate limited as using one: past the limit a 429, not a 401.
   */
  private authenticate(request: TenantRequest): string {
    try {
      return this.tenantOf(request.headers.authorization);
    } catch (error) {
      // Bucket names of tenants hold no ':', so an address's bucket never is a tenant's.
      this.charge(`unauthenticated:${request.ip}`, 'too many requests without a valid API key from this address');
      throw error;
    }
  }

  private charge(bucket: string, message: string): void {
    const wait = this.limiter?.take(bucket, Date.now()) ?? 0;
    if (wait > 0) throw new FerryError(ErrorCode.RateLimited, message, { retryAfterSeconds: Math.ceil(wait) });
  }

  private tenantOf(header: string | undefined): string {
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) throw new FerryError(ErrorCode.Unauthorized, 'send an API key as "Authorization: Bearer <key>"');
    const tenant = this.auth.keys.get(hashApiKey(match[1] ?? ''));
    if (tenant === undefined) throw new FerryError(ErrorCode.Unauthorized, 'unknown API key');
    return tenant;
  }
}
