import { TokenBuckets } from './token-bucket.js';

const T0 = 1_000_000;

describe('TokenBuckets', () => {
  it('grants a full burst, then refuses with the wait for the next token', () => {
    const buckets = new TokenBuckets(2, 3);
    expect([1, 2, 3].map(() => buckets.take('acme', T0))).toEqual([0, 0, 0]);
    expect(buckets.take('acme', T0)).toBe(0.5);
    // Refusals take nothing: the wait stays the same at the same instant.
    expect(buckets.take('acme', T0)).toBe(0.5);
  });

  it('shortens the wait as time passes', () => {
    const buckets = new TokenBuckets(1, 1);
    expect(buckets.take('acme', T0)).toBe(0);
    expect(buckets.take('acme', T0)).toBe(1);
    expect(buckets.take('acme', T0 + 250)).toBeCloseTo(0.75, 10);
    expect(buckets.take('acme', T0 + 750)).toBeCloseTo(0.25, 10);
    expect(buckets.take('acme', T0 + 1_000)).toBe(0);
  });

  it('refills at the rate', () => {
    const buckets = new TokenBuckets(10, 5);
    for (let i = 0; i < 5; i++) expect(buckets.take('acme', T0)).toBe(0);
    expect(buckets.take('acme', T0)).toBeCloseTo(0.1, 10);
    // 300 ms at 10/s bring back 3 tokens.
    expect([1, 2, 3].map(() => buckets.take('acme', T0 + 300))).toEqual([0, 0, 0]);
    expect(buckets.take('acme', T0 + 300)).toBeCloseTo(0.1, 10);
  });

  it('refills no further than the burst', () => {
    const buckets = new TokenBuckets(1, 2);
    expect(buckets.take('acme', T0)).toBe(0);
    expect(buckets.take('acme', T0)).toBe(0);
    // An hour later the bucket holds 2, not 3600.
    const later = T0 + 3_600_000;
    expect([1, 2, 3].map(() => buckets.take('acme', later))).toEqual([0, 0, 1]);
  });

  it('grants fractional rates by the wait they imply', () => {
    const buckets = new TokenBuckets(0.5, 1);
    expect(buckets.take('acme', T0)).toBe(0);
    expect(buckets.take('acme', T0)).toBe(2);
    expect(buckets.take('acme', T0 + 1_999)).toBeGreaterThan(0);
    expect(buckets.take('acme', T0 + 2_000)).toBe(0);
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets(1, 2);
    expect([buckets.take('acme', T0), buckets.take('acme', T0), buckets.take('acme', T0)]).toEqual([0, 0, 1]);
    expect([buckets.take('globex', T0), buckets.take('globex', T0), buckets.take('globex', T0)]).toEqual([0, 0, 1]);
    // globex's use did not touch acme's bucket, nor the other way round.
    expect(buckets.take('acme', T0 + 1_000)).toBe(0);
    expect(buckets.take('acme', T0 + 1_000)).toBe(1);
    expect(buckets.take('initech', T0 + 1_000)).toBe(0);
  });

  it('keeps buckets of separate instances apart', () => {
    const one = new TokenBuckets(1, 1);
    const two = new TokenBuckets(1, 1);
    expect(one.take('acme', T0)).toBe(0);
    expect(two.take('acme', T0)).toBe(0);
    expect(one.take('acme', T0)).toBe(1);
  });
});
