// Reads an OCI image archive the way a runtime does: index.json → manifest → config, each blob
// checked against its digest, so a test asserts what is in the archive and not what a build said.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly config: {
    readonly User?: string;
    readonly Env?: readonly string[];
    readonly Entrypoint?: readonly string[];
    readonly Cmd?: readonly string[];
    readonly WorkingDir?: string;
  };
}

export interface OciImage {
  /** The index's only manifest. */
  readonly manifest: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly config: ImageConfig;
}

async function readBlob(layoutDir: string, descriptor: Descriptor): Promise<Buffer> {
  const hex = descriptor.digest.replace(/^sha256:/, '');
  const blob = await readFile(join(layoutDir, 'blobs', 'sha256', hex));
  const actual = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  if (actual !== descriptor.digest) throw new Error(`blob ${descriptor.digest} hashes to ${actual}`);
  if (blob.length !== descriptor.size) throw new Error(`blob ${descriptor.digest} is ${blob.length} bytes, its descriptor says ${descriptor.size}`);
  return blob;
}

/** Unpacks an `oci-archive` (a tar of an OCI image layout) into `layoutDir`. */
export async function extractArchive(archive: string, layoutDir: string): Promise<void> {
  await run('tar', ['-xf', archive, '-C', layoutDir]);
}

export async function readOciImage(layoutDir: string): Promise<OciImage> {
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const [manifest, ...others] = index.manifests;
  if (manifest === undefined || others.length > 0) throw new Error(`the archive holds ${index.manifests.length} manifests, expected 1`);
  const parsed = JSON.parse((await readBlob(layoutDir, manifest)).toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  const config = JSON.parse((await readBlob(layoutDir, parsed.config)).toString('utf8')) as ImageConfig;
  for (const layer of parsed.layers) await readBlob(layoutDir, layer);
  return { manifest, layers: parsed.layers, config };
}
