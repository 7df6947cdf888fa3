// The OCI image layout buildah pushes, turned into the archive Ferry ships: one image, named for
// every tool that loads it, tarred the same way each time.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sha256 } from './image-inputs.ts';

const run = promisify(execFile);

/** containerd's own name annotation: `ctr images import` names the image by it, without --base-name. */
const CONTAINERD_NAME = 'io.containerd.image.name';
const OCI_REF_NAME = 'org.opencontainers.image.ref.name';

interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

interface Index {
  readonly schemaVersion: number;
  readonly manifests: readonly Descriptor[];
}

export interface LayoutDigests {
  readonly manifestDigest: string;
  readonly configDigest: string;
}

async function readBlob(layoutDir: string, digest: string): Promise<Buffer> {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256' || hex === undefined) throw new Error(`unexpected digest ${digest}`);
  const blob = await readFile(join(layoutDir, 'blobs', 'sha256', hex));
  if (sha256(blob) !== hex) throw new Error(`blob ${digest} does not match its digest`);
  return blob;
}

/**
 * Names the layout's only manifest `name` both ways — OCI's ref.name (podman, skopeo, umoci) and
 * containerd's annotation (ctr) — and returns its digests. index.json is not content-addressed:
 * the manifest digest stays what buildah pushed.
 */
export async function nameLayoutImage(layoutDir: string, name: string): Promise<LayoutDigests> {
  const indexFile = join(layoutDir, 'index.json');
  const index = JSON.parse(await readFile(indexFile, 'utf8')) as Index;
  const [manifest, ...others] = index.manifests;
  if (manifest === undefined || others.length > 0) throw new Error(`expected one manifest in ${indexFile}, found ${index.manifests.length}`);
  const named: Index = { ...index, manifests: [{ ...manifest, annotations: { ...manifest.annotations, [OCI_REF_NAME]: name, [CONTAINERD_NAME]: name } }] };
  await writeFile(indexFile, JSON.stringify(named));
  const parsed = JSON.parse((await readBlob(layoutDir, manifest.digest)).toString('utf8')) as { readonly config?: Descriptor };
  if (parsed.config === undefined) throw new Error(`manifest ${manifest.digest} has no config`);
  return { manifestDigest: manifest.digest, configDigest: parsed.config.digest };
}

/** A plain tar of the layout (what `oci-archive:` readers take), sorted, owner 0, mtime 0. */
export async function tarLayout(layoutDir: string, archive: string): Promise<void> {
  await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', layoutDir, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
}
