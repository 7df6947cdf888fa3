import { ErrorCode, FerryError } from '@ferry/contracts';
import { HttpError, HttpErrorCode } from './http-error.js';
import { fromFastifyError, problemOf } from './problem.js';

describe('problemOf', () => {
  const table: [ErrorCode | HttpErrorCode, number, string][] = [
    [ErrorCode.InvalidRequest, 400, 'Bad request'],
    [ErrorCode.MalformedMessage, 400, 'Bad request'],
    [ErrorCode.Unauthorized, 401, 'Unauthorized'],
    [ErrorCode.NotFound, 404, 'Not found'],
    [HttpErrorCode.MethodNotAllowed, 405, 'Method not allowed'],
    [ErrorCode.Conflict, 409, 'Conflict'],
    [ErrorCode.PayloadTooLarge, 413, 'Payload too large'],
    [HttpErrorCode.HeaderTooLarge, 431, 'Request header fields too large'],
    [HttpErrorCode.RequestTimeout, 408, 'Request timeout'],
    [ErrorCode.UnsupportedMediaType, 415, 'Unsupported media type'],
    [ErrorCode.Unprocessable, 422, 'Unprocessable submission'],
    [ErrorCode.IdempotencyMismatch, 422, 'Idempotency key reused with another body'],
    [ErrorCode.RateLimited, 429, 'Too many requests'],
    [ErrorCode.QuotaExceeded, 507, 'Quota exceeded'],
    [ErrorCode.StorageFull, 507, 'Insufficient storage'],
    [ErrorCode.Unavailable, 503, 'Service unavailable'],
  ];

  it('has a row for every ErrorCode and HttpErrorCode, and the two share no code', () => {
    expect(table.map(([code]) => code).sort()).toEqual([...Object.values(ErrorCode), ...Object.values(HttpErrorCode)].sort());
    expect(new Set(table.map(([code]) => code)).size).toBe(table.length);
  });

  it.each(table)('maps %s to %i', (code, status, title) => {
    const error = (Object.values(HttpErrorCode) as string[]).includes(code) ? new HttpError(code as HttpErrorCode, 'what went wrong') : new FerryError(code as ErrorCode, 'what went wrong');
    expect(problemOf(error)).toEqual({
      type: `urn:ferry:problem:${code}`,
      title,
      status,
      detail: 'what went wrong',
    });
  });

  it('leaves errors out when there are none', () => {
    expect(problemOf(new FerryError(ErrorCode.NotFound, 'no job', { errors: [] }))).not.toHaveProperty('errors');
  });

  it('includes field errors when present', () => {
    const errors = [
      { field: 'pipeline', message: 'is not in the catalog' },
      { field: 'params.seconds', message: 'is required' },
    ];
    expect(problemOf(new FerryError(ErrorCode.Unprocessable, 'bad submission', { errors }))).toEqual({
      type: 'urn:ferry:problem:unprocessable',
      title: 'Unprocessable submission',
      status: 422,
      detail: 'bad submission',
      errors,
    });
  });
});

describe('fromFastifyError', () => {
  const fastifyError = (code: string, message = 'fastify says no'): { code: string; message: string } => ({ code, message });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', ErrorCode.PayloadTooLarge, 413, 'the request body is over the size limit'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', ErrorCode.UnsupportedMediaType, 415, 'send the body as application/json'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', ErrorCode.InvalidRequest, 400, 'the Content-Length does not match the body'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', ErrorCode.InvalidRequest, 400, 'the JSON body is empty'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', ErrorCode.InvalidRequest, 400, 'the JSON body failed to parse'],
  ])('maps %s to %s', (fastifyCode, code, status, message) => {
    const error = fromFastifyError(fastifyError(fastifyCode));
    expect(error).toBeInstanceOf(FerryError);
    expect(error?.code).toBe(code);
    expect(error?.message).toBe(message);
    expect(problemOf(error as FerryError).status).toBe(status);
  });

  it('maps a SyntaxError of the JSON parser to invalid_request with its message', () => {
    let syntaxError: unknown;
    try {
      JSON.parse('{"pipeline":');
    } catch (error) {
      syntaxError = error;
    }
    const error = fromFastifyError(syntaxError as SyntaxError);
    expect(error?.code).toBe(ErrorCode.InvalidRequest);
    expect(error?.message).toBe(`the JSON body failed to parse: ${(syntaxError as SyntaxError).message}`);
  });

  it('maps a SyntaxError carrying a statusCode', () => {
    const syntaxError = Object.assign(new SyntaxError('Unexpected token } in JSON'), { statusCode: 400 });
    expect(fromFastifyError(syntaxError)?.message).toBe('the JSON body failed to parse: Unexpected token } in JSON');
  });

  it.each<[string, { code?: unknown; message: string }]>([
    ['a plain Error', new Error('boom')],
    ['a TypeError', new TypeError('x is undefined')],
    ['another Fastify code', fastifyError('FST_ERR_NOT_FOUND')],
    ['a numeric code', { code: 413, message: 'too large' }],
    ['a plain object with no code', { message: 'boom' }],
  ])('returns undefined for %s', (_name, error) => {
    expect(fromFastifyError(error)).toBeUndefined();
  });
});
