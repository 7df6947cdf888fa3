import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { validationMetadatasToSchemas } from 'class-validator-jsonschema';
import { JobSchema } from '@ferry/contracts';

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

/**
 * The OpenAPI 3.1 document: routes from the controllers, request bodies from the class-validator
 * DTOs (the same rules that validate them), the job resource from its JSON Schema in contracts.
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
  const { $id: _id, ...job } = JSON.parse(JSON.stringify(JobSchema)) as Record<string, unknown>;
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...(validationMetadatasToSchemas({ refPointerPrefix: '#/components/schemas/' }) as OpenAPIObject['components'] & object),
      Job: job,
      Problem: PROBLEM_SCHEMA,
    },
  };
  return document;
}
