import { Type } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import type { ExitRecord } from './exit-record.format.js';
import { JobErrorReportSchema } from './runner-protocol.js';

export { formatExitRecord, type ExitRecord } from './exit-record.format.js';

const ExitRecordSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    exitCode: Type.Integer({ minimum: 0, maximum: 255 }),
    finishedAt: Type.String({ maxLength: 64 }),
    error: Type.Optional(JobErrorReportSchema),
  },
  { additionalProperties: false },
);

let isExitRecord: ValidateFunction<ExitRecord> | undefined;

/** Reads an exit record; anything else — a torn write, another attempt's record — is `undefined`. */
export function parseExitRecord(text: string, attempt: number): ExitRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  isExitRecord ??= new Ajv({ strict: false }).compile<ExitRecord>(ExitRecordSchema);
  if (!isExitRecord(value) || value.attempt !== attempt || Number.isNaN(Date.parse(value.finishedAt))) return undefined;
  return value;
}
