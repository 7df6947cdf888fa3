// One way for every cached tool or binary folder to come into being whole, and once.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';

/**
 * Fills a private `<dir>.tmp-…` with `fill`, then renames it to `dir`, under a lock (`<dir>.lock`):
 * of the processes that want the same folder at once (Vitest's workers in a cold run), one builds
 * it and the others wait for it, rather than each building its own copy. A holder that died leaves
 * a stale lock, which the next one takes over after half a minute.
 */
export async function createDirAtomically(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const release = await lock(dir, {
    lockfilePath: `${dir}.lock`,
    realpath: false,
    stale: 30_000,
    update: 10_000,
    retries: { forever: true, minTimeout: 500, maxTimeout: 2_000 },
  });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    if (existsSync(dir)) return;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await fill(tmp);
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
    await release();
  }
}
