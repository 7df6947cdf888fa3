import type { JobErrorReport } from './runner-protocol.types.js';

/**
 * What a local runner leaves in the file its executor names (`FERRY_EXIT_RECORD`) as it exits by its
 * own verdict — never when it is stopped. A controller that did not see the exit (it died, or it
 * stepped down before it could record it) reads the file instead of running a finished attempt again.
 * This half writes the record and imports nothing, so a runner starts fast.
 */
export interface ExitRecord {
  readonly attempt: number;
  readonly exitCode: number;
  readonly finishedAt: string;
  /** The runner's own `::ferry:error`, when it failed and said why. */
  readonly error?: JobErrorReport;
}

export function formatExitRecord(record: ExitRecord): string {
  return JSON.stringify(record);
}
