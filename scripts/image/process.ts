// Long commands (mmdebstrap, buildah build) whose output a person watches scroll by, but whose last
// lines must also reach the error when they fail under a test that logs nothing.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export type Log = (line: string) => void;

const KEPT_LINES = 40;

export interface StreamOptions {
  readonly log: Log;
  /** Put before each line of output, e.g. `[buildah] `. */
  readonly prefix: string;
  /** How an error names the command (default: the command itself). */
  readonly name?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `command args`, passing each output line to `log`; rejects with the last lines on failure. */
export function runStreaming(command: string, args: readonly string[], options: StreamOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const last: string[] = [];
    const take = (line: string): void => {
      last.push(line);
      if (last.length > KEPT_LINES) last.shift();
      options.log(`${options.prefix}${line}`);
    };
    createInterface({ input: child.stdout }).on('line', take);
    createInterface({ input: child.stderr }).on('line', take);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`${options.name ?? command} ended with ${signal ?? `exit ${code}`}; its last lines:\n${last.join('\n')}`));
    });
  });
}

export function seconds(since: number): number {
  return Math.round((Date.now() - since) / 100) / 10;
}
