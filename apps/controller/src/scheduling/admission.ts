import type { Job } from '@ferry/contracts';

export interface ConcurrencyLimits {
  readonly global: number;
  readonly perTenant: number;
}

export interface AdmissionPlan {
  /** Queued jobs that may start now. */
  readonly admitted: ReadonlySet<string>;
  /** Place in line of every queued job that must wait (0 = next), in FIFO order. */
  readonly positions: ReadonlyMap<string, number>;
}

/**
 * FIFO admission under a global and a per-tenant limit. Jobs are taken oldest first (ids sort by
 * time); a job whose tenant is at its limit waits without blocking other tenants behind it.
 * `active` counts attempts holding a slot (starting or running).
 */
export function planAdmissions(queued: readonly Job[], active: readonly Job[], limits: ConcurrencyLimits): AdmissionPlan {
  const perTenant = new Map<string, number>();
  for (const job of active) perTenant.set(job.tenant, (perTenant.get(job.tenant) ?? 0) + 1);
  let free = limits.global - active.length;
  const admitted = new Set<string>();
  const positions = new Map<string, number>();
  for (const job of [...queued].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    if (job.cancelRequested) continue;
    const tenantCount = perTenant.get(job.tenant) ?? 0;
    if (free > 0 && tenantCount < limits.perTenant) {
      admitted.add(job.id);
      perTenant.set(job.tenant, tenantCount + 1);
      free -= 1;
    } else {
      positions.set(job.id, positions.size);
    }
  }
  return { admitted, positions };
}
