import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatExitRecord, type ExitRecord } from '@ferry/contracts/runner';

/**
 * Leaves the attempt's exit record where the local executor looks for it (decision 0008).
 * Synchronous, because the process exits right after; written aside and renamed, so a reader sees
 * the whole record or none.
 */
export function writeExitRecord(path: string, record: ExitRecord): void {
  mkdirSync(dirname(path), { recursive: true });
  const aside = `${path}.${process.pid}.tmp`;
  writeFileSync(aside, formatExitRecord(record));
  renameSync(aside, path);
}
