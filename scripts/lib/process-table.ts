import { readdirSync, readFileSync } from 'node:fs';

/** A process on this machine, as /proc shows it. */
export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** The command line, one argument per item. */
  readonly argv: readonly string[];
  /** Its environment, read when asked (another user's process may not be readable: then empty). */
  environ(): ReadonlyMap<string, string>;
}

/**
 * Every process on this machine that can be read now — one scan of /proc, shared by the test
 * suites, the bench and the node's teardown. A process that exits during the scan is left out.
 */
export function processTable(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = readProc(pid, 'stat');
    const cmdline = readProc(pid, 'cmdline');
    if (stat === undefined || cmdline === undefined) continue;
    // `pid (comm) state ppid …`; comm may hold spaces or parentheses, so split after the last `)`.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    entries.push({ pid, ppid, argv: cmdline.split('\0').filter((arg) => arg !== ''), environ: () => environOf(pid) });
  }
  return entries;
}

function environOf(pid: number): Map<string, string> {
  const entries = (readProc(pid, 'environ') ?? '').split('\0').filter((entry) => entry.includes('='));
  return new Map(entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
}

/** A /proc file, or `undefined` when the process is gone or not ours to read (both are routine). */
function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
