import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The result-upload token of one job attempt: an HMAC of `<tenant>.<id>.<attempt>` under a secret
 * the controller and the gateway share. It names exactly one attempt, so it cannot upload for
 * another job, and the gateway also refuses it once the job has moved to a later attempt.
 */
export function signAttemptToken(secret: string, tenant: string, jobId: string, attempt: number): string {
  return createHmac('sha256', secret).update(`${tenant}.${jobId}.${attempt}`).digest('base64url');
}

export function verifyAttemptToken(secret: string, tenant: string, jobId: string, attempt: number, token: string): boolean {
  const expected = Buffer.from(signAttemptToken(secret, tenant, jobId, attempt));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
