/** Bounds a client's values must fall in (docs/architecture.md §3); outside them a submission is a 422. */
export const JOB_BOUNDS = {
  maxAttempts: { min: 1, max: 10, fallback: 3 },
  timeoutSeconds: { min: 1, max: 604_800, fallback: 3_600 },
  startDeadlineSeconds: { min: 1, max: 86_400, fallback: 600 },
} as const;
export type BoundedField = keyof typeof JOB_BOUNDS;

/** Bytes of params and labels (as JSON) one job may carry: bounds the record every list and event reads. */
export const JOB_CARRIED_MAX_BYTES = 48 * 1024;

export const LABEL_KEY_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
export const LABEL_VALUE_MAX_LENGTH = 256;
export const LABELS_MAX_COUNT = 32;
/** An `Idempotency-Key` header: 1 to 255 visible ASCII characters (otherwise a 400). */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
export const PIPELINE_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The media types a result may have, with the file extension it is served under: one per output
 * format of the `sql` pipeline, plain text and opaque bytes for container pipelines. An upload of
 * any other type is refused (415), so a result is never served as HTML or script.
 */
export const RESULT_MEDIA_TYPES: Readonly<Record<string, string>> = {
  'text/csv': 'csv',
  'application/vnd.apache.parquet': 'parquet',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'text/plain': 'txt',
  'application/octet-stream': 'bin',
};

/** The base type of a `Content-Type` header (`text/csv; charset=utf-8` → `text/csv`) when it is a result type. */
export function resultMediaType(header: string | undefined): string | undefined {
  const base = (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return Object.hasOwn(RESULT_MEDIA_TYPES, base) ? base : undefined;
}
