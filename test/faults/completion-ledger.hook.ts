import { appendFileSync } from 'node:fs';

/**
 * Preloaded into every runner of a fault test (`node --import <this file> <runner> <ledger>`): when
 * the runner exits, one line `{jobId, attempt, code, at}` is appended to the ledger. It is a witness of
 * what ran to completion that lives outside Ferry, so a run the job record never shows is still seen.
 * A SIGKILL leaves no line, which is right: that attempt did not complete.
 */
const ledger = process.argv[2];
process.on('exit', (code) => {
  if (ledger === undefined) return;
  const spec = JSON.parse(process.env['FERRY_JOB'] ?? '{}') as { id?: string; attempt?: number };
  // One short append per line: atomic on Linux, so runners exiting together never interleave.
  appendFileSync(ledger, `${JSON.stringify({ jobId: spec.id, attempt: spec.attempt, code, at: new Date().toISOString() })}\n`);
});
