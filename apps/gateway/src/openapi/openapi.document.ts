import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { JOB_BOUNDS, JobSchema, JobSummarySchema, LABEL_KEY_PATTERN, LABEL_VALUE_MAX_LENGTH, LABELS_MAX_COUNT, UsageReportSchema } from '@ferry/contracts';
import { QUERY_DTO_EXTENSION } from './openapi.refs.js';

type JsonObject = Record<string, unknown>;

const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', examples: ['urn:ferry:problem:unprocessable'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

/** What `LabelMapConstraint` accepts, for the converter of its custom validation (named `labelMap`). */
const LABEL_MAP_SCHEMA = {
  type: 'object' as const,
  maxProperties: LABELS_MAX_COUNT,
  propertyNames: { pattern: LABEL_KEY_PATTERN.source },
  additionalProperties: { type: 'string' as const, maxLength: LABEL_VALUE_MAX_LENGTH },
};

/**
 * The OpenAPI 3.1 document: routes from the controllers, request bodies and query parameters from
 * the class-validator DTOs (the same rules that validate them), the job resource from its JSON
 * Schema in contracts.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Ferry')
    .setDescription('Run ETL jobs with an HTTP call: submit, follow, fetch the result.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key from FERRY_API_KEYS' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.openapi = '3.1.0';
  const { $id: _id, ...job } = JSON.parse(JSON.stringify(JobSchema)) as JsonObject;
  const { $id: _summaryId, ...summary } = JSON.parse(JSON.stringify(JobSummarySchema)) as JsonObject;
  const { $id: _usageId, ...usage } = JSON.parse(JSON.stringify(UsageReportSchema)) as JsonObject;
  const dtos = validationMetadatasToSchemas({
    refPointerPrefix: '#/components/schemas/',
    additionalConverters: { labelMap: LABEL_MAP_SCHEMA },
  }) as Record<string, JsonObject>;
  // The validation pipe refuses unknown fields (forbidNonWhitelisted), so the DTOs are closed.
  for (const schema of Object.values(dtos)) schema['additionalProperties'] = false;
  // The bounds every pipeline shares (a pipeline's own maxima may be lower; out of bounds is a 422).
  const submission = dtos['CreateJobDto']?.['properties'] as Record<string, JsonObject> | undefined;
  for (const [field, { min, max }] of Object.entries(JOB_BOUNDS)) Object.assign(submission?.[field] ?? {}, { minimum: min, maximum: max });
  expandQueryDtos(document, dtos);
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...dtos, Job: job, JobSummary: summary, UsageReport: usage, Problem: PROBLEM_SCHEMA },
  };
  return document;
}

/** Replaces each operation's `x-ferry-query-dto` with one optional query parameter per DTO property. */
function expandQueryDtos(document: OpenAPIObject, dtos: Record<string, JsonObject>): void {
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of Object.values(pathItem as Record<string, JsonObject>)) {
      const name = operation[QUERY_DTO_EXTENSION];
      if (typeof name !== 'string') continue;
      const properties = dtos[name]?.['properties'] as Record<string, JsonObject> | undefined;
      if (properties === undefined) throw new Error(`OpenAPI: no schema for query DTO ${name}`);
      const required = new Set((dtos[name]?.['required'] as string[] | undefined) ?? []);
      const parameters = (operation['parameters'] as JsonObject[] | undefined) ?? [];
      operation['parameters'] = [
        ...parameters,
        ...Object.entries(properties).map(([property, schema]) => ({ name: property, in: 'query', required: required.has(property), schema })),
      ];
      delete operation[QUERY_DTO_EXTENSION];
    }
  }
}
