/**
 * Codes of errors only HTTP has — the request's method, its header size, its arrival — kept out of
 * the domain's `ErrorCode`, which the controller and NATS edges map too. The problem `type` reads
 * the same way: `urn:ferry:problem:<code>`.
 */
export const HttpErrorCode = {
  MethodNotAllowed: 'method_not_allowed',
  HeaderTooLarge: 'header_too_large',
  RequestTimeout: 'request_timeout',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];

/** A request HTTP itself refuses; `allow` lists the methods the path does have (405). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;
  readonly allow: readonly string[] | undefined;

  constructor(code: HttpErrorCode, message: string, allow?: readonly string[]) {
    super(message);
    this.code = code;
    this.allow = allow;
  }
}
