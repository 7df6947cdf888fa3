// Live processes from /proc (Linux): memory — RSS, its high-water mark, and the proportional share
// (PSS) that counts pages shared between processes (such as the node binary all runners map) once —
// and CPU time.
import { readFile } from 'node:fs/promises';
import { processTable } from '../../scripts/lib/process-table.ts';

export interface ProcessMemory {
  readonly pid: number;
  /** VmRSS, KiB. */
  readonly rssKiB: number;
  /** VmHWM: the peak RSS so far, KiB. */
  readonly hwmKiB: number;
  /** Pss from smaps_rollup, KiB (NaN where the kernel lacks it). */
  readonly pssKiB: number;
}

const field = (text: string, name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);

/** The process's memory now, or undefined if it has exited. */
export async function readMemory(pid: number): Promise<ProcessMemory | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    return { pid, rssKiB: field(status, 'VmRSS'), hwmKiB: field(status, 'VmHWM'), pssKiB: field(rollup, 'Pss') };
  } catch {
    return undefined;
  }
}

/** The live children of `parent` whose command line satisfies `matches`. */
export function childProcesses(parent: number, matches: (argv: readonly string[]) => boolean = () => true): number[] {
  return processTable()
    .filter((entry) => entry.ppid === parent && matches(entry.argv))
    .map((entry) => entry.pid)
    .sort((a, b) => a - b);
}

/** The one child of `parent` running `script` (or binary); throws if there is not exactly one. */
export function childRunning(parent: number, script: string): number {
  const pids = childProcesses(parent, (argv) => argv.some((arg) => arg === script || arg.endsWith(`/${script}`)));
  if (pids.length !== 1 || pids[0] === undefined) throw new Error(`footprint: expected one child of ${parent} running ${script}, found ${pids.length}`);
  return pids[0];
}

export const MiB = (kib: number): number => kib / 1024;

/** User + system CPU seconds a live process has used (utime + stime, 100 ticks per second). */
export async function cpuSeconds(pid: number): Promise<number> {
  // Fields after the command name, which may hold spaces: `pid (comm) state ppid …`.
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
