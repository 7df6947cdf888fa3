import { ErrorCode, FerryError, type TenantUsage, type UsageReport } from '@ferry/contracts';
import type { UsageStore } from '@ferry/nats';

/** A tenant's quotas: jobs kept, and bytes of job records and results (FERRY_TENANT_MAX_JOBS, FERRY_TENANT_MAX_BYTES). */
export interface QuotaLimits {
  readonly jobs: number;
  readonly bytes: number;
}

/** What the quotas read: the usage the controller counts (`NatsLink` in the gateway; a map in specs). */
export interface QuotaStores {
  readonly usage: Pick<UsageStore, 'get'>;
}

/** A tenant's usage is read at most this often per gateway; the controller writes it once a second. */
const USAGE_CACHE_MS = 1000;

/**
 * Per-tenant quotas (docs/decisions/0016-tenant-quotas.md). The controller counts each tenant's
 * jobs and bytes from the records; a request is refused with `quota_exceeded` (507) while its
 * tenant is at a quota. The count trails the writes by about two seconds, so a tenant may pass a
 * quota by what it submits in that time (the rate limit bounds it); the store's own bounds stay
 * the hard limit for everyone.
 */
export class TenantQuotas {
  readonly #cache = new Map<string, { readAt: number; usage: Promise<TenantUsage | undefined> }>();

  constructor(
    private readonly nats: { stores(): QuotaStores },
    readonly limits: QuotaLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async report(tenant: string): Promise<UsageReport> {
    const usage = await this.usage(tenant);
    return { tenant, jobs: usage?.jobs ?? 0, bytes: usage?.bytes ?? 0, countedAt: usage?.countedAt ?? null, quota: { ...this.limits } };
  }

  /** Refuses a new job while the tenant keeps its quota of jobs or of bytes. */
  async assertRoomForJob(tenant: string): Promise<void> {
    const usage = await this.usage(tenant);
    if (usage !== undefined && usage.jobs >= this.limits.jobs) {
      throw new FerryError(
        ErrorCode.QuotaExceeded,
        `tenant ${tenant} keeps ${usage.jobs} jobs, its quota of ${this.limits.jobs} (FERRY_TENANT_MAX_JOBS); finished jobs are removed after the retention period`,
      );
    }
    this.assertBytes(tenant, usage);
  }

  /** Refuses a result while the tenant stores its quota of bytes (a tenant at its jobs quota still gets its results). */
  async assertRoomForResult(tenant: string): Promise<void> {
    this.assertBytes(tenant, await this.usage(tenant));
  }

  private assertBytes(tenant: string, usage: TenantUsage | undefined): void {
    if (usage === undefined || usage.bytes < this.limits.bytes) return;
    throw new FerryError(
      ErrorCode.QuotaExceeded,
      `tenant ${tenant} stores ${usage.bytes} bytes of jobs and results, its quota of ${this.limits.bytes} (FERRY_TENANT_MAX_BYTES); finished jobs are removed after the retention period`,
    );
  }

  private usage(tenant: string): Promise<TenantUsage | undefined> {
    const cached = this.#cache.get(tenant);
    if (cached !== undefined && this.now() - cached.readAt < USAGE_CACHE_MS) return cached.usage;
    const usage = this.nats.stores().usage.get(tenant);
    const entry = { readAt: this.now(), usage };
    this.#cache.set(tenant, entry);
    // A failed read is not remembered: the next request reads again.
    usage.catch(() => {
      if (this.#cache.get(tenant) === entry) this.#cache.delete(tenant);
    });
    return usage;
  }
}
