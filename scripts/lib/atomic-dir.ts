// One way for every cached tool or binary folder to come into being whole.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Fills a private `<dir>.tmp-…` with `fill`, then renames it to `dir`: two processes installing at
 * once both end with a whole folder and never see half of one; a lost race keeps the winner's copy.
 */
export async function createDirAtomically(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    await mkdir(join(dir, '..'), { recursive: true });
    await rename(tmp, dir).catch((error: unknown) => {
      if (!existsSync(dir)) throw error;
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
