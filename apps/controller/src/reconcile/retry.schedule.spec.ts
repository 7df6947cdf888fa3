import { retryDelayMs } from './retry.schedule.js';

const BASE_MS = 10_000;
const MAX_MS = 360_000;

describe('retryDelayMs', () => {
  // docs/architecture.md §3: 10 s, doubling, capped at 6 min (the Kubernetes Job controller's schedule).
  it.each([
    { failedAttempt: 1, seconds: 10 },
    { failedAttempt: 2, seconds: 20 },
    { failedAttempt: 3, seconds: 40 },
    { failedAttempt: 4, seconds: 80 },
    { failedAttempt: 5, seconds: 160 },
    { failedAttempt: 6, seconds: 320 },
    { failedAttempt: 7, seconds: 360 },
    { failedAttempt: 8, seconds: 360 },
    { failedAttempt: 9, seconds: 360 },
    { failedAttempt: 10, seconds: 360 },
    { failedAttempt: 100, seconds: 360 },
  ])('after attempt $failedAttempt fails: $seconds s', ({ failedAttempt, seconds }) => {
    expect(retryDelayMs(failedAttempt, BASE_MS, MAX_MS)).toBe(seconds * 1000);
  });

  it('treats attempt 0 (and below) like attempt 1: the base', () => {
    expect(retryDelayMs(0, BASE_MS, MAX_MS)).toBe(10_000);
    expect(retryDelayMs(-3, BASE_MS, MAX_MS)).toBe(10_000);
  });

  it.each([1, 2, 5, 10])('base 0 → no wait after attempt %i', (failedAttempt) => {
    expect(retryDelayMs(failedAttempt, 0, MAX_MS)).toBe(0);
  });

  it.each([
    { failedAttempt: 1, baseMs: 100, maxMs: 360_000, expected: 100 },
    { failedAttempt: 4, baseMs: 100, maxMs: 360_000, expected: 800 },
    { failedAttempt: 3, baseMs: 100, maxMs: 300, expected: 300 },
    { failedAttempt: 1, baseMs: 10_000, maxMs: 5_000, expected: 5_000 },
    { failedAttempt: 3, baseMs: 10_000, maxMs: 0, expected: 0 },
  ])('base $baseMs ms, cap $maxMs ms, attempt $failedAttempt → $expected ms', ({ failedAttempt, baseMs, maxMs, expected }) => {
    expect(retryDelayMs(failedAttempt, baseMs, maxMs)).toBe(expected);
  });

  it('never decreases from one attempt to the next', () => {
    for (let attempt = 1; attempt < 20; attempt += 1) {
      expect(retryDelayMs(attempt + 1, BASE_MS, MAX_MS)).toBeGreaterThanOrEqual(retryDelayMs(attempt, BASE_MS, MAX_MS));
    }
  });
});
