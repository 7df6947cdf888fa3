import { Type, type Static } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { JobProgressSchema, type JobProgress } from './job.schema.js';
import { ERROR_MARKER, PROGRESS_MARKER } from './runner-protocol.format.js';

export { ERROR_MARKER, PROGRESS_MARKER, formatErrorLine, formatProgressLine } from './runner-protocol.format.js';

/** Reads the protocol of `runner-protocol.format.ts`: which lines are progress, errors or log lines. */

export const JobErrorReportSchema = Type.Object(
  {
    reason: Type.String({ pattern: '^[A-Z][A-Za-z]{0,63}$' }),
    message: Type.String({ maxLength: 2048 }),
  },
  { additionalProperties: false },
);
export type JobErrorReport = Static<typeof JobErrorReportSchema>;

export type RunnerLine =
  | { readonly kind: 'progress'; readonly progress: JobProgress }
  | { readonly kind: 'error'; readonly error: JobErrorReport }
  | { readonly kind: 'log'; readonly line: string };

// Compiled on first use: a runner that only prints markers never pays for the validators.
let validators: { isProgress: ValidateFunction<JobProgress>; isErrorReport: ValidateFunction<JobErrorReport> } | undefined;
function lineValidators(): NonNullable<typeof validators> {
  if (validators === undefined) {
    const ajv = new Ajv({ strict: false });
    validators = { isProgress: ajv.compile<JobProgress>(JobProgressSchema), isErrorReport: ajv.compile<JobErrorReport>(JobErrorReportSchema) };
  }
  return validators;
}

export function parseRunnerLine(line: string): RunnerLine {
  if (line.startsWith(PROGRESS_MARKER)) {
    const value = tryJson(line.slice(PROGRESS_MARKER.length));
    if (lineValidators().isProgress(value)) return { kind: 'progress', progress: value };
  } else if (line.startsWith(ERROR_MARKER)) {
    const value = tryJson(line.slice(ERROR_MARKER.length));
    if (lineValidators().isErrorReport(value)) return { kind: 'error', error: value };
  }
  return { kind: 'log', line };
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
