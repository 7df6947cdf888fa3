import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RunnerExit } from '../support/checker.ts';
import { RUNNER_MAIN } from '../support/paths.ts';

const HOOK = fileURLToPath(new URL('./completion-ledger.hook.ts', import.meta.url));

/** `FERRY_RUNNER_COMMAND` for a controller whose runners write their exits to `ledger`. */
export function ledgerRunnerCommand(ledger: string): string {
  return JSON.stringify([process.execPath, '--import', HOOK, RUNNER_MAIN, ledger]);
}

/** Every runner exit the ledger holds (none if no runner has exited yet). */
export async function readLedger(ledger: string): Promise<RunnerExit[]> {
  const text = await readFile(ledger, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RunnerExit);
}
