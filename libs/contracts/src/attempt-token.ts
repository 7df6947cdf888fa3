import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UploadAttempt } from './upload-attempt.js';

/**
 * The result-upload token of one job attempt: an HMAC of `<tenant>.<id>.<attempt>` under a secret
 * the controller and the gateway share. It names one attempt (a number, or `current`: see
 * `UploadAttempt`), so it cannot upload for another job or another attempt, and the gateway also
 * refuses it once the job has moved past that attempt.
 */
export function signAttemptToken(secret: string, tenant: string, jobId: string, attempt: UploadAttempt): string {
  return createHmac('sha256', secret).update(`${tenant}.${jobId}.${attempt}`).digest('base64url');
}

export function verifyAttemptToken(secret: string, tenant: string, jobId: string, attempt: UploadAttempt, token: string): boolean {
  const expected = Buffer.from(signAttemptToken(secret, tenant, jobId, attempt));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
