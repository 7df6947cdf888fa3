import { isFinalState, jobKey, type Job } from '@ferry/contracts';
import { planAdmissions, type AdmissionPlan, type ConcurrencyLimits } from './admission.js';

/**
 * The controller's view of every job that is not final, fed by each reconcile's read of the
 * record. It only serves admission (who may start, who waits where); every decision still reads
 * the record itself, so a stale entry can delay a start but never cause a wrong write.
 */
export class JobIndex {
  readonly #jobs = new Map<string, Job>();
  #plan: AdmissionPlan | undefined;

  constructor(private readonly limits: ConcurrencyLimits) {}

  put(job: Job): void {
    const key = jobKey(job.tenant, job.id);
    const before = this.#jobs.get(key);
    if (isFinalState(job.state)) {
      if (this.#jobs.delete(key)) this.#plan = undefined;
      return;
    }
    this.#jobs.set(key, job);
    if (before === undefined || before.state !== job.state || before.cancelRequested !== job.cancelRequested) this.#plan = undefined;
  }

  remove(key: string): void {
    if (this.#jobs.delete(key)) this.#plan = undefined;
  }

  keys(): string[] {
    return [...this.#jobs.keys()];
  }

  /** Admissions over the current view, recomputed only after a job changed state. */
  plan(): AdmissionPlan {
    if (this.#plan === undefined) {
      const jobs = [...this.#jobs.values()];
      this.#plan = planAdmissions(
        jobs.filter((job) => job.state === 'queued'),
        jobs.filter((job) => job.state === 'starting' || job.state === 'running'),
        this.limits,
      );
    }
    return this.#plan;
  }

  /** Queued jobs whose recorded place in line is not the planned one, front of the line first. */
  misplaced(limit: number): string[] {
    const plan = this.plan();
    const keys: string[] = [];
    for (const job of [...this.#jobs.values()].filter((candidate) => candidate.state === 'queued').sort((a, b) => (a.id < b.id ? -1 : 1))) {
      if (keys.length >= limit) break;
      const planned = plan.admitted.has(job.id) ? null : (plan.positions.get(job.id) ?? null);
      if (plan.admitted.has(job.id) || job.queuePosition !== planned) keys.push(jobKey(job.tenant, job.id));
    }
    return keys;
  }
}
