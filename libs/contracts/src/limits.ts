/** Bounds a client's values must fall in (DESIGN §3); outside them a submission is a 422. */
export const JOB_BOUNDS = {
  maxAttempts: { min: 1, max: 10, fallback: 3 },
  timeoutSeconds: { min: 1, max: 604_800, fallback: 3_600 },
  startDeadlineSeconds: { min: 1, max: 86_400, fallback: 600 },
} as const;
export type BoundedField = keyof typeof JOB_BOUNDS;

export const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE_MAX_LENGTH = 256;
export const LABELS_MAX_COUNT = 32;
/** An `Idempotency-Key` header: 1 to 255 visible ASCII characters (otherwise a 400). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const PIPELINE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
