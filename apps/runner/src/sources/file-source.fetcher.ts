import { constants, createWriteStream } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { errorMessage, permanent, RunnerReason } from '../runner.failure.js';
import { formatBytes, sizeLimit } from '../support/size-limit.js';

export interface FileFetchOptions {
  /** FERRY_DATA_DIR; undefined outside local mode, where `file://` is refused. */
  readonly dataDir: string | undefined;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
}

/** True when `path` is strictly below `root` (both real, absolute paths). */
export function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Copies a `file://` source into the temp folder, if its real path — `..` and every symlink
 * resolved — lies below the data folder. The copy reads the resolved path, never the name given.
 */
export async function copyFileSource(url: URL, destination: string, options: FileFetchOptions): Promise<number> {
  if (options.dataDir === undefined) {
    throw permanent(RunnerReason.SourceRefused, `file:// sources are refused: FERRY_DATA_DIR is not set (local mode only)`);
  }
  if (url.host !== '' && url.host !== 'localhost') throw permanent(RunnerReason.SourceRefused, `file:// sources must be local, not on ${url.host}`);
  const root = await realpath(options.dataDir).catch((error: unknown) => {
    throw permanent(RunnerReason.InvalidConfig, `FERRY_DATA_DIR ${options.dataDir}: ${errorMessage(error)}`, error);
  });
  const requested = fileURLToPath(url);
  const real = await realpath(requested).catch((error: unknown) => {
    throw permanent(RunnerReason.SourceUnavailable, `source ${url.href} not found in the data folder`, error);
  });
  if (!isBelow(root, real)) throw permanent(RunnerReason.SourceRefused, `source ${url.href} is outside FERRY_DATA_DIR`);

  // O_NOFOLLOW: the last component cannot have been swapped for a symlink since realpath().
  const handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: unknown) => {
    throw permanent(RunnerReason.SourceUnavailable, `source ${url.href} cannot be opened: ${errorMessage(error)}`, error);
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw permanent(RunnerReason.SourceUnavailable, `source ${url.href} is not a regular file`);
    const tooLarge = () => permanent(RunnerReason.SourceTooLarge, `source ${url.href} is larger than the ${formatBytes(options.maxBytes)} left of FERRY_SOURCE_MAX_BYTES`);
    if (stats.size > options.maxBytes) throw tooLarge();
    const limit = sizeLimit(options.maxBytes, tooLarge);
    await pipeline(handle.createReadStream({ autoClose: false }), limit, createWriteStream(destination, { flags: 'wx', mode: 0o600 }), {
      signal: options.signal,
    });
    return limit.bytes;
  } finally {
    await handle.close();
  }
}
