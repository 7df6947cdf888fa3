// The machine a run was measured on, written next to the numbers.
import { execFile } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { venvOf } from './peers.ts';

const run = promisify(execFile);

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly python: string;
  readonly redis: string;
  readonly natsServer: string;
}

async function versionOf(command: string, args: string[], pattern: RegExp): Promise<string> {
  try {
    const { stdout, stderr } = await run(command, args);
    return pattern.exec(`${stdout}${stderr}`)?.[1] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

export async function describeMachine(natsServer: string): Promise<Machine> {
  const python = await venvOf('starlette').then(
    (venv) => versionOf(venv.python, ['--version'], /Python (\S+)/),
    () => 'not installed',
  );
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    python,
    redis: await versionOf('redis-server', ['--version'], /v=(\S+)/),
    natsServer: await versionOf(natsServer, ['--version'], /v(\d+\.\d+\.\d+)/),
  };
}
