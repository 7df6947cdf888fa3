/**
 * A token bucket per key: `rate` tokens a second up to `burst`. Pure apart from the clock passed
 * in, so it is table-tested; the gateway keeps one per replica (documented in docs/operations.md).
 */
export class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {}

  /** Takes a token; returns 0 when granted, else the seconds until one is available. */
  take(key: string, nowMs: number): number {
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: nowMs };
    const tokens = Math.min(this.burst, bucket.tokens + ((nowMs - bucket.at) / 1000) * this.rate);
    if (tokens >= 1) {
      this.#buckets.set(key, { tokens: tokens - 1, at: nowMs });
      return 0;
    }
    this.#buckets.set(key, { tokens, at: nowMs });
    return (1 - tokens) / this.rate;
  }
}
