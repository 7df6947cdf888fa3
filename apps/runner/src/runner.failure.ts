import { ExitCode, JobReason } from '@ferry/contracts/runner';

/**
 * Why an attempt failed, as the runner reports it in `::ferry:error` before exiting. `JobReason` names
 * the ones the rest of Ferry sets too; the others are the runner's own.
 */
export const RunnerReason = {
  InvalidConfig: 'InvalidConfig',
  InvalidSpec: 'InvalidSpec',
  InvalidParams: 'InvalidParams',
  SourceRefused: JobReason.SourceRefused,
  SourceUnavailable: 'SourceUnavailable',
  SourceUnreachable: 'SourceUnreachable',
  SourceTooLarge: 'SourceTooLarge',
  SourceInvalid: 'SourceInvalid',
  InvalidSql: 'InvalidSql',
  SqlError: 'SqlError',
  OutOfMemory: 'OutOfMemory',
  StorageError: 'StorageError',
  EngineError: 'EngineError',
  ResultTooLarge: 'ResultTooLarge',
  ResultRefused: 'ResultRefused',
  ResultUploadFailed: 'ResultUploadFailed',
  QuotaExceeded: JobReason.QuotaExceeded,
  DiskLimitExceeded: JobReason.DiskLimitExceeded,
  CommandNotStarted: 'CommandNotStarted',
} as const;
export type RunnerReason = (typeof RunnerReason)[keyof typeof RunnerReason];

/** Exit code of a failure that is neither permanent nor transient: the table's "other", retried. */
export const UNKNOWN_FAILURE_EXIT = 1;

/** A failure the runner understands: it knows the exit code (docs/architecture.md §3) and the reason to report. */
export class RunnerFailure extends Error {
  override readonly name = 'RunnerFailure';

  constructor(
    readonly exitCode: number,
    readonly reason: RunnerReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Retrying cannot help: bad params, bad SQL, a refused source or result. */
export function permanent(reason: RunnerReason, message: string, cause?: unknown): RunnerFailure {
  return new RunnerFailure(ExitCode.Permanent, reason, message, cause === undefined ? undefined : { cause });
}

/** A retry may succeed: the network, a server answering 5xx, a full disk. */
export function transient(reason: RunnerReason, message: string, cause?: unknown): RunnerFailure {
  return new RunnerFailure(ExitCode.Transient, reason, message, cause === undefined ? undefined : { cause });
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
