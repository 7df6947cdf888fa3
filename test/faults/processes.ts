import { readdirSync, readFileSync } from 'node:fs';
import { CONTROLLER_MAIN, RUNNER_MAIN } from '../support/paths.ts';

export interface RunnerProcess {
  readonly pid: number;
  readonly jobId: string;
  readonly attempt: number;
}

/**
 * The controller process of this test's cluster: the one running the built controller with this
 * test's NATS URL (other people's suites run controllers on the same machine, on other ports).
 */
export function findControllerPid(natsUrl: string): number | undefined {
  return livePids().find((pid) => {
    const argv = readProc(pid, 'cmdline')?.split('\0') ?? [];
    return argv.includes(CONTROLLER_MAIN) && environ(pid).get('NATS_URL') === natsUrl;
  });
}

/** The runners the given controller has running now, with the job attempt each one runs (from its spec). */
export function findRunners(controllerPid: number): RunnerProcess[] {
  const runners: RunnerProcess[] = [];
  for (const pid of livePids()) {
    if (parentPid(pid) !== controllerPid || !(readProc(pid, 'cmdline')?.split('\0') ?? []).includes(RUNNER_MAIN)) continue;
    const spec = environ(pid).get('FERRY_JOB');
    if (spec === undefined) continue;
    const { id, attempt } = JSON.parse(spec) as { id: string; attempt: number };
    runners.push({ pid, jobId: id, attempt });
  }
  return runners;
}

function livePids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

function parentPid(pid: number): number | undefined {
  // `pid (comm) state ppid …`; comm may hold spaces or parentheses, so split after the last `)`.
  const stat = readProc(pid, 'stat');
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields?.[1] === undefined ? undefined : Number(fields[1]);
}

function environ(pid: number): Map<string, string> {
  const entries = (readProc(pid, 'environ') ?? '').split('\0').filter((entry) => entry.includes('='));
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** A /proc file, or `undefined` when the process is gone or not ours to read (both are routine here). */
function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
