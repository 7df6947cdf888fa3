import type { SubmissionAnswer } from '../support/checker.ts';

export interface RoundRobinOptions {
  /** The gateways' base URLs as they are now (a killed gateway is replaced by one on another port). */
  readonly gateways: () => readonly string[];
  readonly apiKey: string;
  /** Requests per submission before its answer is given up as unknown. */
  readonly maxTries: number;
  /** A request with no answer after this long is indeterminate, like a connection reset. */
  readonly requestTimeoutMs: number;
}

/**
 * A client as a real one behaves in front of several gateways: each submission goes to the next
 * gateway in turn; when a request gets no answer (connection refused or reset, timeout), the
 * submission may or may not have been recorded, so it is sent again with the same Idempotency-Key
 * to the next gateway. Any HTTP answer is final: 200/202 acknowledged, anything else refused.
 */
export class RoundRobinClient {
  #next = 0;
  private readonly options: RoundRobinOptions;

  constructor(options: RoundRobinOptions) {
    this.options = options;
  }

  async submit(body: unknown, idempotencyKey: string): Promise<SubmissionAnswer> {
    for (let tries = 1; tries <= this.options.maxTries; tries += 1) {
      const answer = await this.send(this.pick(), body, idempotencyKey);
      if (answer !== undefined) return { ...answer, tries };
      // Back off a little: the other gateway is up, but the one just tried may be restarting.
      await new Promise((resolve) => setTimeout(resolve, 100 * tries));
    }
    return { outcome: 'unknown', tries: this.options.maxTries };
  }

  private pick(): string {
    const gateways = this.options.gateways();
    const url = gateways[this.#next % gateways.length];
    this.#next += 1;
    if (url === undefined) throw new Error('no gateway to send to');
    return url;
  }

  /** One request; `undefined` when it got no HTTP answer. */
  private async send(base: string, body: unknown, idempotencyKey: string): Promise<Omit<SubmissionAnswer, 'tries'> | undefined> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.apiKey}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
      });
      text = await response.text();
    } catch {
      return undefined;
    }
    if (response.status === 200 || response.status === 202) {
      return { outcome: 'acknowledged', status: response.status, jobId: (JSON.parse(text) as { id: string }).id };
    }
    return { outcome: 'refused', status: response.status };
  }
}
