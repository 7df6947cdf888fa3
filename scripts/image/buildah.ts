// buildah with a storage of Ferry's own under the image cache, never the machine's
// /var/lib/containers: the local base is tagged `docker.io/library/node:24-bookworm-slim` there, and
// that tag must not replace a real node image someone pulled into the machine's store.
import { execFile } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runStreaming, type Log } from './process.ts';

const run = promisify(execFile);

export type StorageDriver = 'overlay' | 'vfs';

/** statfs f_type of overlayfs: an overlay storage cannot live on one (a cache inside a container). */
const OVERLAYFS_MAGIC = 0x794c7630;

/**
 * overlay shares the base's files between stages and images; vfs copies the whole tree for every
 * stage and commit (about 1 GB of store at a build's peak here). overlay needs the
 * kernel's overlay and a store not itself on overlayfs. FERRY_IMAGE_STORAGE_DRIVER=vfs|overlay
 * decides instead.
 */
export function chooseStorageDriver(procFilesystems: string, storeFsType: number, explicit: string | undefined): StorageDriver {
  if (explicit === 'vfs' || explicit === 'overlay') return explicit;
  if (explicit !== undefined && explicit !== '') throw new Error(`FERRY_IMAGE_STORAGE_DRIVER must be overlay or vfs (got ${explicit})`);
  const kernelHasOverlay = /\toverlay$/m.test(procFilesystems);
  return kernelHasOverlay && storeFsType !== OVERLAYFS_MAGIC ? 'overlay' : 'vfs';
}

export class Buildah {
  readonly driver: StorageDriver;
  readonly #flags: readonly string[];

  private constructor(storeDir: string, driver: StorageDriver) {
    this.driver = driver;
    // One store per driver: containers/storage refuses a root that was created by another driver.
    this.#flags = ['--root', join(storeDir, driver), '--runroot', join(storeDir, `${driver}-run`), '--storage-driver', driver];
  }

  static async open(storeDir: string): Promise<Buildah> {
    await mkdir(storeDir, { recursive: true });
    const driver = chooseStorageDriver(readFileSync('/proc/filesystems', 'utf8'), Number(statfsSync(storeDir).type), process.env['FERRY_IMAGE_STORAGE_DRIVER']);
    return new Buildah(storeDir, driver);
  }

  async call(args: readonly string[]): Promise<string> {
    const { stdout } = await run('buildah', [...this.#flags, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  }

  stream(args: readonly string[], log: Log): Promise<void> {
    return runStreaming('buildah', [...this.#flags, ...args], { log, prefix: '[buildah] ', name: `buildah ${args[0] ?? ''}` });
  }

  /** The image's id, or undefined when the store has no image of that name. */
  async imageId(reference: string): Promise<string | undefined> {
    try {
      return await this.call(['inspect', '--type', 'image', '--format', '{{.FromImageID}}', reference]);
    } catch {
      return undefined;
    }
  }

  /** Every `repository:tag` in the store. */
  async imageNames(): Promise<string[]> {
    const listing = await this.call(['images', '--noheading', '--format', '{{.Name}}:{{.Tag}}']);
    return listing.split('\n').filter((name) => name !== '' && !name.startsWith('<none>'));
  }
}
