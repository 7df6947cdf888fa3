import { formatErrorLine, formatProgressLine, type JobErrorReport, type JobProgress } from '@ferry/contracts/runner';

/** Limits of the protocol's schemas (contracts): a longer message would turn the marker into a log line. */
export const ERROR_MESSAGE_MAX = 2048;
const PROGRESS_MESSAGE_MAX = 1024;

/** Where the runner says what happens: log lines, progress markers, the error marker (docs/architecture.md §3). */
export interface RunnerOutput {
  log(line: string): void;
  warn(line: string): void;
  progress(progress: JobProgress): void;
  error(report: JobErrorReport): void;
}

interface LineSink {
  write(text: string): unknown;
}

/**
 * stdout carries log lines and markers; stderr carries warnings. On Linux both are synchronous for
 * files and pipes, so nothing written is lost when the runner calls `process.exit` right after.
 */
export function createProcessOutput(stdout: LineSink = process.stdout, stderr: LineSink = process.stderr): RunnerOutput {
  return {
    log: (line) => stdout.write(`${line}\n`),
    warn: (line) => stderr.write(`${line}\n`),
    progress: (progress) => {
      const message = progress.message === undefined ? {} : { message: truncate(progress.message, PROGRESS_MESSAGE_MAX) };
      stdout.write(`${formatProgressLine({ ...progress, ...message })}\n`);
    },
    error: (report) => {
      stdout.write(`${formatErrorLine({ reason: report.reason, message: truncate(report.message, ERROR_MESSAGE_MAX) })}\n`);
    },
  };
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
