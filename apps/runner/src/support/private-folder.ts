import { rmSync } from 'node:fs';
import { chmod, mkdtemp, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The job's private temp folder (mode 0700): sources, DuckDB's spill files and the result live here,
 * and DuckDB may touch nothing else. Its real path, so DuckDB's `allowed_directories` compare equal.
 */
export class PrivateFolder {
  private constructor(readonly path: string) {}

  static async create(parent: string, prefix: string): Promise<PrivateFolder> {
    const path = await realpath(await mkdtemp(join(parent, prefix)));
    await chmod(path, 0o700);
    return new PrivateFolder(path);
  }

  file(name: string): string {
    return join(this.path, name);
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }

  /** For the stop path, which runs right before `process.exit`. */
  removeSync(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
