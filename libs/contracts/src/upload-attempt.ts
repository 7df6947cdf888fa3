/**
 * The attempt a result upload is for: its number (1, 2, …) when the controller starts each attempt
 * (the local executor), or `current`, the job's attempt when the upload arrives, when the executor
 * retries attempts itself and a pod cannot know its number (a Kubernetes Job's pods share one
 * template). The token signs it and the upload path carries it, so the gateway resolves it from the
 * record alone, never asking which executor ran the job (docs/architecture.md §3).
 */
export const CURRENT_ATTEMPT = 'current';
export type UploadAttempt = number | typeof CURRENT_ATTEMPT;

/** The gateway's upload route, the one place its path is written. */
export const RESULT_UPLOAD_ROUTE = '/internal/v1/results/:tenant/:id/:attempt';

/** Where an attempt uploads its result: the gateway's address and the route, filled in. */
export function resultUploadUrl(gatewayUrl: string, tenant: string, jobId: string, attempt: UploadAttempt): string {
  const path = RESULT_UPLOAD_ROUTE.replace(':tenant', tenant).replace(':id', jobId).replace(':attempt', String(attempt));
  return `${gatewayUrl.replace(/\/$/, '')}${path}`;
}

/** The attempt segment of an upload path: `current` or a number from 1; anything else is `undefined`. */
export function parseUploadAttempt(text: string): UploadAttempt | undefined {
  if (text === CURRENT_ATTEMPT) return CURRENT_ATTEMPT;
  return /^[1-9]\d{0,8}$/.test(text) ? Number(text) : undefined;
}
