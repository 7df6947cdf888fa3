import { ApiExtension, type ApiResponseOptions } from '@nestjs/swagger';
import { JobEventSchema } from '@ferry/contracts';

/** References into the OpenAPI document's components (filled in by `buildOpenApiDocument`). */
export const JOB_REF = { $ref: '#/components/schemas/Job' };
/** The job without params: list items (unless `include=params`) and event data. */
export const JOB_SUMMARY_REF = { $ref: '#/components/schemas/JobSummary' };
export const USAGE_REPORT_REF = { $ref: '#/components/schemas/UsageReport' };
export const JOB_PAGE_REF = {
  type: 'object',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: { anyOf: [JOB_SUMMARY_REF, JOB_REF] }, description: 'JobSummary items; Job items with include=params' },
    nextCursor: { type: ['string', 'null'], description: 'Pass as cursor for the next page; null when there is none' },
  },
};
/** One Server-Sent Event of `GET /v1/jobs/{id}/events`: the job without params as JSON, after a state, progress or result change. */
export const JOB_EVENT_SCHEMA = {
  type: 'object',
  required: ['event', 'id', 'data'],
  properties: {
    event: { enum: JobEventSchema.properties.type.anyOf.map((each) => each.const) },
    id: { type: 'string', pattern: '^[A-Za-z0-9_-]{22}$', description: "Opaque, valid on this job's stream; send it as Last-Event-ID to resume" },
    data: { type: 'string', contentMediaType: 'application/json', contentSchema: JOB_SUMMARY_REF },
  },
};
export const PIPELINE_LIST_SCHEMA = {
  type: 'object',
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'description', 'paramsSchema', 'defaults'],
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          paramsSchema: { type: 'object' },
          defaults: { type: 'object', additionalProperties: { type: 'integer' } },
        },
      },
    },
  },
};

/** The extension `buildOpenApiDocument` expands into one query parameter per property of the named DTO schema. */
export const QUERY_DTO_EXTENSION = 'x-ferry-query-dto';

/**
 * Documents a `@Query()` DTO of contracts as query parameters. The DTOs carry class-validator rules
 * but no Swagger decorators (contracts has no Nest), so their schema comes from those same rules.
 */
export const ApiQueryFrom = (dto: { name: string }): MethodDecorator => ApiExtension(QUERY_DTO_EXTENSION, dto.name);

const problem = (status: number, description: string): ApiResponseOptions => ({
  status,
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export const PROBLEM_RESPONSES = {
  badRequest: problem(400, 'Unknown fields, wrong types or malformed JSON'),
  badQuery: problem(400, 'An unknown or malformed query parameter'),
  unauthorized: problem(401, 'Missing or unknown API key'),
  notFound: problem(404, 'No such job for this tenant'),
  conflict: problem(409, 'The job is (not yet) final'),
  payloadTooLarge: problem(413, 'Body over the size limit'),
  unsupportedMediaType: problem(415, 'Body is not application/json'),
  unprocessable: problem(422, 'Unknown pipeline, params failing its schema, values out of bounds, or an Idempotency-Key reused with another body'),
  rateLimited: problem(429, 'Over the tenant rate limit, or too many open streams; see Retry-After'),
  insufficientStorage: problem(507, "The tenant is at a quota (quota_exceeded), or a store Ferry shares is full (storage_full, see Retry-After)"),
  unavailable: problem(503, 'NATS is unavailable; see Retry-After'),
} as const;
