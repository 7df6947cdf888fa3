// The Debian tools image:build and its test run, installed with apt-get when missing, so a fresh
// machine needs nothing but `npm run image:build`.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { commandRuns } from '../lib/command.ts';
import { runStreaming, type Log } from './process.ts';

const run = promisify(execFile);

/** Each command and the package it comes in, with the argument that proves it runs. */
const TOOLS = {
  mmdebstrap: { package: 'mmdebstrap', probe: ['--version'] },
  buildah: { package: 'buildah', probe: ['--version'] },
  umoci: { package: 'umoci', probe: ['--version'] },
  runc: { package: 'runc', probe: ['--version'] },
} as const;

export type DebianTool = keyof typeof TOOLS;

/** The build and the container run as root here (mmdebstrap's root mode, buildah's store, runc). */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${what} needs root: mmdebstrap, buildah and runc run as root on these machines (try sudo, or a root shell)`);
  }
}

export async function ensureDebianTools(tools: readonly DebianTool[], log: Log): Promise<void> {
  const missing: DebianTool[] = [];
  for (const tool of tools) if (!(await commandRuns(tool, TOOLS[tool].probe))) missing.push(tool);
  if (missing.length === 0) return;
  if (!(await commandRuns('apt-get', ['--version']))) {
    throw new Error(`missing ${missing.join(', ')} and no apt-get to install them: install the Debian packages ${missing.map((tool) => TOOLS[tool].package).join(' ')}`);
  }
  const packages = missing.map((tool) => TOOLS[tool].package);
  log(`installing ${packages.join(' ')} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Another apt may hold the dpkg lock (unattended upgrades, a parallel install): wait, do not fail.
  const install = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', ...packages];
  try {
    await runStreaming('apt-get', install, { log, prefix: '[apt] ', env });
  } catch {
    // A fresh machine may have no package lists yet.
    await run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env, maxBuffer: 64 * 1024 * 1024 });
    await runStreaming('apt-get', install, { log, prefix: '[apt] ', env });
  }
}
