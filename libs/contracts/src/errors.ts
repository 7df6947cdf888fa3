/** Codes of domain errors. Each edge maps every code exhaustively (HTTP problems, NATS ack/nak/term). */
export const ErrorCode = {
  InvalidRequest: 'invalid_request',
  Unprocessable: 'unprocessable',
  IdempotencyMismatch: 'idempotency_mismatch',
  Unauthorized: 'unauthorized',
  NotFound: 'not_found',
  Conflict: 'conflict',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  RateLimited: 'rate_limited',
  /** A tenant's quota (jobs kept, bytes stored) is used up: 507 until its old jobs expire. */
  QuotaExceeded: 'quota_exceeded',
  /** A store Ferry shares among tenants reached its size bound: 507, for every tenant. */
  StorageFull: 'storage_full',
  Unavailable: 'unavailable',
  MalformedMessage: 'malformed_message',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface FerryErrorOptions {
  readonly errors?: readonly FieldError[];
  /** Seconds after which the same request may succeed (429, 503). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

export class FerryError extends Error {
  override readonly name = 'FerryError';
  readonly errors: readonly FieldError[];
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: FerryErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.errors = options.errors ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isFerryError(error: unknown, code?: ErrorCode): error is FerryError {
  return error instanceof FerryError && (code === undefined || error.code === code);
}
