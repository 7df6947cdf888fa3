// Python virtual environments for the bench peers and the fuzz suite, made from a pinned
// requirements file and cached by its content: a rerun with the same pins reuses the venv.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './nats-server.ts';

const run = promisify(execFile);

export interface PythonVenv {
  /** The venv's own python. */
  readonly python: string;
  /** Its `bin/` folder, for console scripts such as `schemathesis`, `celery` or `rq`. */
  readonly bin: string;
}

/**
 * A venv with exactly the packages of `requirementsFile`, at `~/.cache/ferry/venv/<name>-<hash>`.
 * Made with `python3 -m venv` and `pip install -r` the first time; a half-made venv is removed.
 */
export async function ensureVenv(name: string, requirementsFile: string): Promise<PythonVenv> {
  const pins = await readFile(requirementsFile);
  const hash = createHash('sha256').update(pins).digest('hex').slice(0, 12);
  const root = join(cacheDir(), 'venv', `${name}-${hash}`);
  const venv = { python: join(root, 'bin', 'python'), bin: join(root, 'bin') };
  const ready = join(root, '.ready');
  if (existsSync(ready)) return venv;
  await rm(root, { recursive: true, force: true });
  const python = process.env['FERRY_PYTHON'] ?? 'python3';
  console.error(`python: making venv ${root} from ${requirementsFile} (once per machine)`);
  await run(python, ['-m', 'venv', root]);
  const pip = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet'];
  await run(venv.python, [...pip, '-r', requirementsFile], { maxBuffer: 64 * 1024 * 1024 });
  await run('touch', [ready]);
  return venv;
}
