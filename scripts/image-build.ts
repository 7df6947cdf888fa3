// Builds Ferry's container image without Docker (issue 10, ADR 0010): the Dockerfile itself, run by
// `buildah build`, on a node:24-bookworm-slim made locally because no registry serves base images
// here (scripts/image/base-image.ts: mmdebstrap + Node and npm from the npm registry). The result is
// an OCI archive that podman, skopeo, umoci and `ctr images import` load:
//
//   <cache>/images/ferry-<version>.oci.tar    the image (cache root: FERRY_CACHE_DIR, else ~/.cache/ferry)
//   <cache>/images/ferry-<version>.json       its name, manifest digest, size, build time and inputs key
//   <cache>/images/buildah/                   Ferry's own buildah store (the base; build stages)
//
// A rerun does nothing while the inputs key is unchanged: the files the Dockerfile copies (git's
// list: tracked and not ignored), the Dockerfile, the base's key (Debian suite, Node, npm, these
// scripts). Needs root; installs mmdebstrap and buildah with apt-get when they are missing.
// Cold (2 cores): 2 to 4½ minutes, depending on load; warm: under a second.
//
//   node scripts/image-build.ts     builds (or finds) the image, prints its digest and size
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBaseImage, baseImageKey } from './image/base-image.ts';
import { parseBaseReference } from './image/base-reference.ts';
import { Buildah } from './image/buildah.ts';
import { BUILD_NPM_CONFIG_MOUNT, readHostNpmSettings, writeBuildNpmConfig } from './image/build-npmrc.ts';
import { ensureDebianTools, requireRoot } from './image/debian-tools.ts';
import { hashImageInputs, listImageInputs, stageBuildContext } from './image/image-inputs.ts';
import { checkRuntimeMatchesLock, nodeVersionFromLock, NODE_RUNTIME } from './image/node-runtime.ts';
import { nameLayoutImage, tarLayout } from './image/oci-layout.ts';
import { seconds, type Log } from './image/process.ts';
import { cacheDir } from './lib/nats-server.ts';

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const SCRIPTS_DIR = dirname(fileURLToPath(import.meta.url));
const silent: Log = () => undefined;

/** What `<cache>/images/ferry-<version>.json` holds. */
export interface FerryImage {
  /** The name the chart pulls by default (image.repository `ferry`, tag = appVersion). */
  readonly image: string;
  /** The same name fully qualified, as the archive's index names it. */
  readonly reference: string;
  readonly archive: string;
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly sizeBytes: number;
  readonly builtAt: string;
  /** Seconds the build took, base image included when it had to be made. */
  readonly buildSeconds: number;
  readonly inputsKey: string;
  readonly base: { readonly reference: string; readonly key: string; readonly debianSuite: string; readonly node: string; readonly npm: string };
}

export interface ImageBuild {
  readonly image: FerryImage;
  readonly metadataFile: string;
  /** True when nothing was built: the archive on disk matched the inputs. */
  readonly upToDate: boolean;
}

export function imagesDir(): string {
  return join(cacheDir(), 'images');
}

/** The recipe's own text, part of the base's key: scripts/image-build.ts and scripts/image/*. */
async function recipeContent(): Promise<string> {
  const dir = join(SCRIPTS_DIR, 'image');
  const files = [join(SCRIPTS_DIR, 'image-build.ts'), ...(await readdir(dir)).sort().map((name) => join(dir, name))];
  return (await Promise.all(files.map((file) => readFile(file, 'utf8')))).join('\0');
}

/** The recorded image, if it was built from these inputs and its archive is still whole. */
async function readCurrent(metadataFile: string, archive: string, inputsKey: string): Promise<FerryImage | undefined> {
  if (!existsSync(metadataFile) || !existsSync(archive)) return undefined;
  const image = JSON.parse(await readFile(metadataFile, 'utf8')) as FerryImage;
  return image.inputsKey === inputsKey && image.archive === archive && statSync(archive).size === image.sizeBytes ? image : undefined;
}

/** Work folders of builds that were killed (`.build-<pid>-…`): each holds a staged context and a layout. */
async function removeAbandonedWork(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const pid = Number(/^\.build-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) await rm(join(dir, name), { recursive: true, force: true });
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Written aside and renamed: a reader sees the old file or the new one, never half of one. */
async function writeFileAtomically(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/** Builds the image, or finds it current; `log` gets progress lines (buildah's output included). */
export async function buildImage(log: Log = silent): Promise<ImageBuild> {
  const started = Date.now();
  const packageJson = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const image = `${packageJson.name}:${packageJson.version}`;
  const reference = `docker.io/library/${image}`;
  const base = parseBaseReference(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  const lockNode = await nodeVersionFromLock(REPO_ROOT);
  checkRuntimeMatchesLock(lockNode);
  if (Number(lockNode.split('.')[0]) !== base.nodeMajor) {
    throw new Error(`the Dockerfile's base ${base.short} is Node ${base.nodeMajor}, package-lock.json pins node ${lockNode}`);
  }
  const baseKey = baseImageKey(base, await recipeContent());
  const inputs = await listImageInputs(REPO_ROOT);
  const inputsKey = await hashImageInputs(REPO_ROOT, inputs, [`base ${base.full} ${baseKey}`, `image ${reference}`]);

  const dir = imagesDir();
  const archive = join(dir, `${packageJson.name}-${packageJson.version}.oci.tar`);
  const metadataFile = join(dir, `${packageJson.name}-${packageJson.version}.json`);
  const current = await readCurrent(metadataFile, archive, inputsKey);
  if (current !== undefined) return { image: current, metadataFile, upToDate: true };

  requireRoot('npm run image:build');
  await ensureDebianTools(['mmdebstrap', 'buildah'], log);
  await mkdir(dir, { recursive: true });
  const buildah = await Buildah.open(join(dir, 'buildah'));
  log(`building ${image} from ${inputs.length} files (buildah store: ${buildah.driver})`);
  const baseImage = await ensureBaseImage(buildah, base, baseKey, log);
  log(baseImage.builtSeconds === undefined ? `base: ${base.full} (${baseKey}) found in the store` : `base: made in ${baseImage.builtSeconds} s`);

  await removeAbandonedWork(dir);
  const work = await mkdtemp(join(dir, `.build-${process.pid}-`));
  // A tag of this build's own: a parallel build moving `reference` cannot make this one push its image.
  const buildTag = `localhost/ferry-build:${process.pid}-${Date.now()}`;
  try {
    const context = join(work, 'context');
    const npmConfig = join(work, 'npm-config');
    const layout = join(work, 'layout');
    await mkdir(npmConfig, { recursive: true });
    await stageBuildContext(REPO_ROOT, inputs, context);
    await writeBuildNpmConfig(npmConfig, await readHostNpmSettings());

    let phase = Date.now();
    await buildah.stream(
      [
        'build',
        '--isolation', 'chroot',
        // RUN npm ci reaches the registry through the host's network, like `docker build` does.
        '--network', 'host',
        // The base is the local one; nothing may be pulled (and no registry would answer).
        '--pull=never',
        '--layers=false',
        '--force-rm',
        '--identity-label=false',
        '--format', 'oci',
        '--volume', `${npmConfig}:${BUILD_NPM_CONFIG_MOUNT}:ro`,
        '--file', join(context, 'Dockerfile'),
        '--tag', buildTag,
        context,
      ],
      log,
    );
    log(`image: Dockerfile built in ${seconds(phase)} s`);

    phase = Date.now();
    await buildah.call(['push', '--quiet', buildTag, `oci:${layout}:${reference}`]);
    const digests = await nameLayoutImage(layout, reference);
    const archiveTmp = join(work, 'image.oci.tar');
    await tarLayout(layout, archiveTmp);
    const sizeBytes = (await stat(archiveTmp)).size;
    await rename(archiveTmp, archive);
    log(`image: archive written in ${seconds(phase)} s`);
    const built: FerryImage = {
      image,
      reference,
      archive,
      ...digests,
      sizeBytes,
      builtAt: new Date().toISOString(),
      buildSeconds: seconds(started),
      inputsKey,
      base: { reference: base.full, key: baseKey, debianSuite: base.debianSuite, node: NODE_RUNTIME.node, npm: NODE_RUNTIME.npm },
    };
    await writeFileAtomically(metadataFile, `${JSON.stringify(built, null, 2)}\n`);
    return { image: built, metadataFile, upToDate: false };
  } finally {
    // The archive is the product; the store keeps only the base (the next build starts from it).
    await buildah.call(['rmi', buildTag]).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

if (import.meta.main) {
  const started = Date.now();
  const { image, metadataFile, upToDate } = await buildImage((line) => process.stdout.write(`${line}\n`));
  process.stdout.write(
    [
      `${image.image}: ${image.archive}`,
      `digest ${image.manifestDigest}`,
      `size   ${image.sizeBytes} bytes (${mebibytes(image.sizeBytes)})`,
      upToDate ? `up to date (built ${image.builtAt} in ${image.buildSeconds} s); checked in ${seconds(started)} s` : `built in ${image.buildSeconds} s`,
      `details: ${metadataFile}`,
    ].join('\n') + '\n',
  );
}
