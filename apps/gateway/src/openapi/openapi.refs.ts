import type { ApiResponseOptions } from '@nestjs/swagger';

/** References into the OpenAPI document's components (filled in by `buildOpenApiDocument`). */
export const JOB_REF = { $ref: '#/components/schemas/Job' };
export const JOB_PAGE_REF = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: JOB_REF }, nextCursor: { type: ['string', 'null'] } },
};

const problem = (status: number, description: string): ApiResponseOptions => ({
  status,
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export const PROBLEM_RESPONSES = {
  badRequest: problem(400, 'Unknown fields, wrong types or malformed JSON'),
  unauthorized: problem(401, 'Missing or unknown API key'),
  notFound: problem(404, 'No such job for this tenant'),
  conflict: problem(409, 'The job is (not yet) final'),
  payloadTooLarge: problem(413, 'Body over the size limit'),
  unsupportedMediaType: problem(415, 'Body is not application/json'),
  unprocessable: problem(422, 'Unknown pipeline, params failing its schema, values out of bounds, or an Idempotency-Key reused with another body'),
  rateLimited: problem(429, 'Over the tenant rate limit; see Retry-After'),
  unavailable: problem(503, 'NATS is unavailable; see Retry-After'),
} as const;
