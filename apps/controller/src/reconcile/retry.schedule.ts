/**
 * The wait before attempt `n + 1` after attempt `n` failed: base, doubling, capped — the Kubernetes
 * Job controller's own schedule (10 s, 20 s, 40 s … 6 min), with the base configurable for tests.
 */
export function retryDelayMs(failedAttempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempt - 1));
}
