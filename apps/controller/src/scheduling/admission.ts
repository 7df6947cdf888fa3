import type { Job } from '@ferry/contracts';

export interface ConcurrencyLimits {
  readonly global: number;
  /**
   * Slots one tenant may hold. Unset: a fair share, the global limit divided among the tenants
   * with waiting or running work (rounded up, at least one).
   */
  readonly perTenant: number | undefined;
}

export interface AdmissionPlan {
  /** Queued jobs that may start now. */
  readonly admitted: ReadonlySet<string>;
  /** Place in line of every queued job that must wait (0 = next), in the order they would start. */
  readonly positions: ReadonlyMap<string, number>;
}

/**
 * Admission under a global and a per-tenant limit, taking turns between tenants: each round, every
 * tenant with waiting work (oldest waiting job first) may start its oldest job, so a tenant with a
 * long queue cannot take every slot ahead of one that submitted a single job. Within a tenant,
 * FIFO (ids sort by time). A tenant at its limit waits without blocking the others. `active`
 * counts attempts holding a slot (starting or running). Slots already held are not taken back:
 * a tenant that holds more than its share keeps its running jobs, and gets no new one until it is
 * under its share again.
 */
export function planAdmissions(queued: readonly Job[], active: readonly Job[], limits: ConcurrencyLimits): AdmissionPlan {
  const held = new Map<string, number>();
  for (const job of active) held.set(job.tenant, (held.get(job.tenant) ?? 0) + 1);
  const lines = tenantLines(queued);
  const share = limits.perTenant ?? Math.max(1, Math.ceil(limits.global / new Set([...held.keys(), ...lines.keys()]).size));
  let free = limits.global - active.length;
  const admitted = new Set<string>();
  const waiting: Job[] = [];
  for (const job of takingTurns(lines)) {
    const count = held.get(job.tenant) ?? 0;
    if (free > 0 && count < share) {
      admitted.add(job.id);
      held.set(job.tenant, count + 1);
      free -= 1;
    } else {
      waiting.push(job);
    }
  }
  return { admitted, positions: new Map(waiting.map((job, index) => [job.id, index])) };
}

/** Each tenant's waiting jobs oldest first, tenants in the order of their oldest job; cancelled ones left out. */
function tenantLines(queued: readonly Job[]): Map<string, Job[]> {
  const lines = new Map<string, Job[]>();
  const byAge = queued.filter((job) => !job.cancelRequested).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const job of byAge) {
    const line = lines.get(job.tenant);
    if (line === undefined) lines.set(job.tenant, [job]);
    else line.push(job);
  }
  return lines;
}

/** The jobs one from each tenant per round: the first of every line, then the second, and so on. */
function* takingTurns(lines: ReadonlyMap<string, readonly Job[]>): Generator<Job> {
  const longest = Math.max(0, ...[...lines.values()].map((line) => line.length));
  for (let round = 0; round < longest; round += 1) {
    for (const line of lines.values()) {
      const job = line[round];
      if (job !== undefined) yield job;
    }
  }
}
