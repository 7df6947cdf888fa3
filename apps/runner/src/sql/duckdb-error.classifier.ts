import { UNKNOWN_FAILURE_EXIT, errorMessage, permanent, RunnerFailure, RunnerReason, transient } from '../runner.failure.js';
import { formatBytes } from '../support/size-limit.js';

/** The limits a DuckDB failure is explained against. */
export interface DiskAndMemory {
  /** FERRY_DUCKDB_MEMORY_LIMIT, as configured. */
  readonly memoryLimit: string;
  /** FERRY_DUCKDB_TEMP_MAX_BYTES. */
  readonly tempMaxBytes: number;
}

/**
 * Maps a DuckDB error to an exit code and reason by its type prefix ("Binder Error: …").
 * Most are the query's or the data's fault and would fail again the same way: permanent.
 */
export function classifyDuckDbError(error: unknown, context: DiskAndMemory & { readonly source?: string }): RunnerFailure {
  if (error instanceof RunnerFailure) return error;
  const message = errorMessage(error);
  const type = /^([A-Za-z ]+?) Error:/.exec(message)?.[1]?.toLowerCase() ?? '';
  if (type === 'out of memory' && message.includes('max_temp_directory_size')) {
    // Permanent: the same query spills as much again.
    return permanent(
      RunnerReason.DiskLimitExceeded,
      `the query spills more than FERRY_DUCKDB_TEMP_MAX_BYTES (${formatBytes(context.tempMaxBytes)}) to disk: ${firstLine(message)}`,
      error,
    );
  }
  if (/No space left on device/i.test(message)) {
    // The disk is full, maybe by others: a retry elsewhere or later may pass.
    return transient(RunnerReason.DiskLimitExceeded, `the job's disk is full: ${firstLine(message)}`, error);
  }
  if (type === 'out of memory') {
    // Permanent: a retry runs the same query on the same data under the same limit.
    return permanent(
      RunnerReason.OutOfMemory,
      `the query needs more memory than FERRY_DUCKDB_MEMORY_LIMIT (${context.memoryLimit}) allows, even spilling to disk; ` +
        `a retry would fail the same way, so reduce the data or ask for a higher limit: ${message}`,
      error,
    );
  }
  if (type === 'io') {
    // Reading our own temp files or spilling failed: most likely a full or flaky disk on this node.
    return transient(RunnerReason.StorageError, `DuckDB could not read or write its temp folder: ${message}`, error);
  }
  if (type === 'internal' || type === 'fatal') {
    return new RunnerFailure(UNKNOWN_FAILURE_EXIT, RunnerReason.EngineError, `DuckDB failed internally: ${message}`, { cause: error });
  }
  // The job's message must not carry what a source served: DuckDB's later lines list it (a binder
  // error's "Candidate bindings" are a CSV's header line), and errors about the data quote it.
  const said = type === 'invalid input' || type === 'conversion' ? withoutContent(message) : firstLine(message);
  if (context.source !== undefined) {
    return permanent(RunnerReason.SourceInvalid, `source "${context.source}" cannot be read: ${said}`, error);
  }
  return permanent(RunnerReason.SqlError, said, error);
}

/** The first line of DuckDB's message: the error itself, without candidates, context or the SQL pointer. */
function firstLine(message: string): string {
  return (message.split('\n', 1)[0] ?? '').trim();
}

/** DuckDB's first line without what it quotes of the data: strings become "…", an echoed input is cut off. */
function withoutContent(message: string): string {
  const beforeInput = firstLine(message).split(/\b(?:Input|Original Line|Line contents?)\s*:/, 1)[0] ?? '';
  return beforeInput.replace(/'[^']*'|"[^"]*"/g, '"…"').trim();
}
