import { ErrorCode, FerryError, type FieldError } from '@ferry/contracts';
import { HttpErrorCode, type HttpError } from './http-error.js';

/** RFC 9457 problem document, as every error of the API is sent. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Details that several refusals share, written once. */
export const DETAIL = {
  bodyTooLarge: 'the request body is over the size limit',
  sendJson: 'send the body as application/json',
} as const;

/** Every code has exactly one status and title; adding a code fails to compile until it is mapped here. */
const HTTP_OF: Record<ErrorCode | HttpErrorCode, { status: number; title: string }> = {
  [ErrorCode.InvalidRequest]: { status: 400, title: 'Bad request' },
  [ErrorCode.MalformedMessage]: { status: 400, title: 'Bad request' },
  [ErrorCode.Unauthorized]: { status: 401, title: 'Unauthorized' },
  [ErrorCode.NotFound]: { status: 404, title: 'Not found' },
  [HttpErrorCode.MethodNotAllowed]: { status: 405, title: 'Method not allowed' },
  [ErrorCode.Conflict]: { status: 409, title: 'Conflict' },
  [ErrorCode.PayloadTooLarge]: { status: 413, title: 'Payload too large' },
  [HttpErrorCode.HeaderTooLarge]: { status: 431, title: 'Request header fields too large' },
  [HttpErrorCode.RequestTimeout]: { status: 408, title: 'Request timeout' },
  [ErrorCode.UnsupportedMediaType]: { status: 415, title: 'Unsupported media type' },
  [ErrorCode.Unprocessable]: { status: 422, title: 'Unprocessable submission' },
  [ErrorCode.IdempotencyMismatch]: { status: 422, title: 'Idempotency key reused with another body' },
  [ErrorCode.RateLimited]: { status: 429, title: 'Too many requests' },
  [ErrorCode.QuotaExceeded]: { status: 507, title: 'Quota exceeded' },
  [ErrorCode.StorageFull]: { status: 507, title: 'Insufficient storage' },
  [ErrorCode.Unavailable]: { status: 503, title: 'Service unavailable' },
};

export function problemOf(error: FerryError | HttpError): Problem {
  const { status, title } = HTTP_OF[error.code];
  const errors = error instanceof FerryError ? error.errors : [];
  return {
    type: `urn:ferry:problem:${error.code}`,
    title,
    status,
    detail: error.message,
    ...(errors.length > 0 ? { errors } : {}),
  };
}

/** What Fastify's own errors (body parsing and limits) mean in the domain's terms. */
export function fromFastifyError(error: { code?: unknown; message: string }): FerryError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new FerryError(ErrorCode.PayloadTooLarge, DETAIL.bodyTooLarge);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new FerryError(ErrorCode.UnsupportedMediaType, DETAIL.sendJson);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new FerryError(ErrorCode.InvalidRequest, 'the Content-Length does not match the body');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new FerryError(ErrorCode.InvalidRequest, 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new FerryError(ErrorCode.InvalidRequest, 'the JSON body failed to parse');
    default:
      break;
  }
  // Fastify's JSON parser throws the SyntaxError itself, with its statusCode set to 400.
  if (error instanceof SyntaxError) return new FerryError(ErrorCode.InvalidRequest, `the JSON body failed to parse: ${error.message}`);
  return undefined;
}
