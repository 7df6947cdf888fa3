import { isFinalState, jobKey, type Job } from '@ferry/contracts';
import { planAdmissions, type AdmissionPlan, type ConcurrencyLimits } from './admission.js';

/**
 * The controller's view of every job that is not final, fed by each reconcile's read of the
 * record. It only serves admission (who may start, who waits where); every decision still reads
 * the record itself, so a stale entry can delay a start but never cause a wrong write.
 */
export class JobIndex {
  readonly #jobs = new Map<string, Job>();
  /** Waiting jobs picked by `misplaced` whose next reconcile records their planned place. */
  readonly #refreshing = new Set<string>();
  #plan: AdmissionPlan | undefined;
  /** Keys of the queued jobs the plan was made from, front of the line first. */
  #line: string[] = [];

  constructor(private readonly limits: ConcurrencyLimits) {}

  put(job: Job): void {
    const key = jobKey(job.tenant, job.id);
    const before = this.#jobs.get(key);
    if (isFinalState(job.state)) {
      this.#refreshing.delete(key);
      if (this.#jobs.delete(key)) this.#plan = undefined;
      return;
    }
    this.#jobs.set(key, job);
    if (before === undefined || before.state !== job.state || before.cancelRequested !== job.cancelRequested) this.#plan = undefined;
    // A job picked by `misplaced` is done once its record holds the planned place (or it left the line).
    if (this.#refreshing.has(key) && (job.state !== 'queued' || job.queuePosition === this.plannedPosition(job))) this.#refreshing.delete(key);
  }

  remove(key: string): void {
    this.#refreshing.delete(key);
    if (this.#jobs.delete(key)) this.#plan = undefined;
  }

  keys(): string[] {
    return [...this.#jobs.keys()];
  }

  /** Admissions over the current view, recomputed only after a job changed state. */
  plan(): AdmissionPlan {
    if (this.#plan === undefined) {
      const jobs = [...this.#jobs.values()];
      const queued = jobs.filter((job) => job.state === 'queued').sort((a, b) => (a.id < b.id ? -1 : 1));
      this.#line = queued.map((job) => jobKey(job.tenant, job.id));
      this.#plan = planAdmissions(queued, jobs.filter((job) => job.state === 'starting' || job.state === 'running'), this.limits);
    }
    return this.#plan;
  }

  /** Queued jobs the plan lets start now, front of the line first. */
  admissible(limit: number): string[] {
    const plan = this.plan();
    const keys: string[] = [];
    for (const job of this.queuedInLine()) {
      if (keys.length >= limit) break;
      if (plan.admitted.has(job.id)) keys.push(jobKey(job.tenant, job.id));
    }
    return keys;
  }

  /**
   * Waiting jobs whose recorded place in line is not the planned one, front of the line first; each
   * is marked so that its next reconcile records the planned place (see `positionOf`).
   */
  misplaced(limit: number): string[] {
    const plan = this.plan();
    const keys: string[] = [];
    for (const job of this.queuedInLine()) {
      if (keys.length >= limit) break;
      if (plan.admitted.has(job.id) || job.queuePosition === (plan.positions.get(job.id) ?? null)) continue;
      const key = jobKey(job.tenant, job.id);
      this.#refreshing.add(key);
      keys.push(key);
    }
    return keys;
  }

  /**
   * The place in line to record for a waiting job: the planned one when it has none yet or was
   * picked by `misplaced`, else the recorded one. Every admission moves every waiting job up by
   * one; rewriting all of them each time made a backlog of N jobs cost O(N²) record writes. So
   * places are refreshed by the sweep, a bounded number per second, and only ever overstate the wait.
   * A read: the pick is done when `put` sees the planned place recorded.
   */
  positionOf(job: Job): number | null {
    const planned = this.plannedPosition(job);
    if (this.#refreshing.has(jobKey(job.tenant, job.id)) || job.queuePosition === null || planned === null) return planned;
    return job.queuePosition;
  }

  private plannedPosition(job: Job): number | null {
    return this.plan().positions.get(job.id) ?? null;
  }

  /**
   * The queued jobs in FIFO order, as of the last plan (kept with it: a sweep on every reconcile must
   * not sort the whole queue again), each read afresh so a recorded place is the current one.
   */
  private *queuedInLine(): Generator<Job> {
    this.plan();
    for (const key of this.#line) {
      const job = this.#jobs.get(key);
      if (job?.state === 'queued') yield job;
    }
  }
}
