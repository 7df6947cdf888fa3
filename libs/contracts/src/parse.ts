import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { TSchema, Static } from '@sinclair/typebox';
import { ErrorCode, FerryError } from './errors.js';
import { RunnerSpecSchema, type RunnerSpec } from './runner-spec.js';
import {
  IdempotencyRecordSchema,
  JobEventSchema,
  JobSchema,
  LogEntrySchema,
  type IdempotencyRecord,
  type Job,
  type JobEvent,
  type LogEntry,
} from './job.schema.js';
import { TenantUsageSchema, type TenantUsage } from './usage.schema.js';

const ajv = new Ajv({ allErrors: false, strict: false });

export type Parser<T> = (value: unknown) => T;

/** Builds a parser that returns the value typed, or throws `malformed_message` naming what is wrong. */
export function parserFor<S extends TSchema>(schema: S, what: string): Parser<Static<S>> {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value: unknown) => {
    if (validate(value)) return value;
    throw new FerryError(ErrorCode.MalformedMessage, `malformed ${what}: ${describe(validate.errors)}`);
  };
}

/** Decodes JSON bytes and parses them; bytes that are not JSON are as malformed as a wrong shape. */
export function decodeWith<T>(parse: Parser<T>, bytes: Uint8Array, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new FerryError(ErrorCode.MalformedMessage, `malformed ${what}: not JSON`, { cause: error });
  }
  return parse(value);
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'invalid';
  const extra = (first.params as { additionalProperty?: unknown }).additionalProperty;
  const detail = typeof extra === 'string' ? `: "${extra}"` : '';
  return `${first.instancePath || '/'} ${first.message ?? 'is invalid'}${detail}`;
}

export const parseJob: Parser<Job> = parserFor(JobSchema, 'job record');
export const parseJobEvent: Parser<JobEvent> = parserFor(JobEventSchema, 'job event');
export const parseLogEntry: Parser<LogEntry> = parserFor(LogEntrySchema, 'log entry');
export const parseIdempotencyRecord: Parser<IdempotencyRecord> = parserFor(IdempotencyRecordSchema, 'idempotency record');
export const parseTenantUsage: Parser<TenantUsage> = parserFor(TenantUsageSchema, 'tenant usage');
export const parseRunnerSpec: Parser<RunnerSpec> = parserFor(RunnerSpecSchema, 'runner spec');
