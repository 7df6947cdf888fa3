import type { JobErrorReport, JobProgress } from './runner-protocol.types.js';

/**
 * What a job says on stdout besides log lines (docs/architecture.md §3). Any program can speak it with `echo`:
 *   ::ferry:progress {"percent":40,"rows":12000,"message":"…"}
 *   ::ferry:error {"reason":"SourceRefused","message":"…"}   (before a non-zero exit: why it failed)
 * Every other line — and a marker line that does not parse — is a log line.
 * This half writes the markers and imports nothing, so a runner starts fast.
 */
export const PROGRESS_MARKER = '::ferry:progress ';
export const ERROR_MARKER = '::ferry:error ';

export function formatProgressLine(progress: JobProgress): string {
  return `${PROGRESS_MARKER}${JSON.stringify(progress)}`;
}

export function formatErrorLine(error: JobErrorReport): string {
  return `${ERROR_MARKER}${JSON.stringify(error)}`;
}
