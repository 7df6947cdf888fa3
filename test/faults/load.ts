import type { SubmissionAnswer } from '../support/checker.ts';
import type { RoundRobinClient } from './round-robin.ts';

export interface LoadOptions {
  readonly client: RoundRobinClient;
  readonly ratePerSecond: number;
  /** Names this run: the prefix of every Idempotency-Key and the `fault` label of every job. */
  readonly run: string;
}

/**
 * A steady stream of submissions, sent on a clock whatever the answers take (a slow or failing
 * gateway must not thin the load out while a fault is in place). Mostly short `sleep` jobs, so
 * that when a fault hits there are jobs queued, starting, running and finishing; one in eight a
 * `fail` with the transient exit code 75, so retries are under way too.
 */
export class SteadyLoad {
  readonly #answers: SubmissionAnswer[] = [];
  readonly #pending = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #sequence = 0;
  private readonly options: LoadOptions;

  constructor(options: LoadOptions) {
    this.options = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.submitNext(), 1000 / this.options.ratePerSecond);
  }

  /** Submissions sent so far whose answer has not come yet. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Stops sending, waits for every answer (retries included) and returns them all. */
  async stop(): Promise<SubmissionAnswer[]> {
    clearInterval(this.#timer);
    await Promise.all(this.#pending);
    return [...this.#answers];
  }

  private submitNext(): void {
    this.#sequence += 1;
    const sequence = this.#sequence;
    const submission = this.options.client
      .submit(jobBody(sequence, this.options.run), `${this.options.run}-${sequence}`)
      .then((answer) => void this.#answers.push(answer));
    this.#pending.add(submission);
    void submission.finally(() => this.#pending.delete(submission));
  }
}

/** The body of submission `sequence`: deterministic, so a failing run can be replayed job by job. */
export function jobBody(sequence: number, run: string): unknown {
  const labels = { fault: run };
  if (sequence % 8 === 0) return { pipeline: 'fail', params: { exitCode: 75, afterSeconds: 0.1 }, maxAttempts: 3, labels };
  // 0 to 0.3 s in steps of 0.05, spread by a multiplicative hash rather than in a visible cycle.
  const seconds = ((sequence * 7919) % 7) * 0.05;
  return { pipeline: 'sleep', params: { seconds: Math.round(seconds * 100) / 100 }, maxAttempts: 5, labels };
}
