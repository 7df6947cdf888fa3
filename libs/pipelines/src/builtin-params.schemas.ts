/** JSON Schemas of the built-in pipelines' params (docs/architecture.md §3), the contract every client relies on. */
const SOURCE_FORMATS = ['csv', 'parquet', 'json', 'ndjson'];

export const SQL_PARAMS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['sources', 'sql'],
  properties: {
    sources: {
      type: 'object',
      description: 'Each source becomes a DuckDB view of that name.',
      minProperties: 1,
      maxProperties: 32,
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['url', 'format'],
        properties: {
          url: { type: 'string', maxLength: 2048, pattern: '^(https?|file)://' },
          format: { enum: SOURCE_FORMATS },
        },
      },
    },
    sql: { type: 'string', minLength: 1, maxLength: 32_768, description: 'One read-only SELECT over the views.' },
    output: {
      type: 'object',
      additionalProperties: false,
      properties: { format: { enum: SOURCE_FORMATS, default: 'csv' } },
    },
  },
} as const;

export const SLEEP_PARAMS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['seconds'],
  properties: {
    seconds: { type: 'number', minimum: 0, maximum: 86_400 },
    progressEvery: { type: 'number', exclusiveMinimum: 0, maximum: 86_400, description: 'Seconds between progress markers.' },
  },
} as const;

export const FAIL_PARAMS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['exitCode'],
  properties: {
    exitCode: { type: 'integer', minimum: 1, maximum: 255 },
    afterSeconds: { type: 'number', minimum: 0, maximum: 86_400 },
  },
} as const;

export const BUILTIN_PARAMS_SCHEMAS = {
  sql: SQL_PARAMS_SCHEMA,
  sleep: SLEEP_PARAMS_SCHEMA,
  fail: FAIL_PARAMS_SCHEMA,
} as const;
