import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunnerFailure } from '../runner.failure.js';

/** A file or a flat folder that may hold at most `maxBytes`; past it, `failure` says why the attempt ends. */
export interface DiskBound {
  readonly path: string;
  readonly maxBytes: number;
  readonly failure: (bytes: number) => RunnerFailure;
}

/** How often the guard measures: a writer overshoots a bound by at most what it writes in this time. */
const POLL_MS = 100;

/**
 * Measures files while a writer it cannot meter fills them (DuckDB writing a result, spilling),
 * and stops the writer once one passes its bound: `onExceeded` runs once, and `failure` then holds
 * the reason. DuckDB's own `max_temp_directory_size` does not bound every spill (a large sort
 * spilled 175 MB past a 1 MiB setting with DuckDB 1.5.6), so the bound is measured here.
 */
export class DiskGuard {
  #failure: RunnerFailure | undefined;
  #measuring = false;
  #stopped = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly bounds: readonly DiskBound[],
    private readonly onExceeded: () => void,
    pollMs: number = POLL_MS,
  ) {
    this.#timer = setInterval(() => void this.measure(), pollMs);
  }

  /** Why the writer was stopped, or `undefined` while every bound holds. */
  get failure(): RunnerFailure | undefined {
    return this.#failure;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  private async measure(): Promise<void> {
    if (this.#measuring || this.#failure !== undefined) return;
    this.#measuring = true;
    try {
      for (const bound of this.bounds) {
        const bytes = await sizeOf(bound.path);
        // Stopped while it measured: the writer is done (or closed); nothing to stop any more.
        if (this.#stopped) return;
        if (bytes <= bound.maxBytes) continue;
        this.#failure = bound.failure(bytes);
        this.stop();
        this.onExceeded();
        return;
      }
    } catch {
      // A measurement that fails (a file removed under it) is skipped; the next one runs.
    } finally {
      this.#measuring = false;
    }
  }
}

/** The bytes of a file, or of the files directly in a folder; 0 for what does not exist (yet). */
async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return 0;
  if (!info.isDirectory()) return info.size;
  const names = await readdir(path).catch(() => []);
  const sizes = await Promise.all(names.map((name) => stat(join(path, name)).then((each) => each.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}
