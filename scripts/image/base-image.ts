// The Dockerfile's base, made locally because no registry serves it here: a Debian slim root file
// system from mmdebstrap plus Node and npm from the npm registry, committed into Ferry's buildah
// store under the name the Dockerfile's FROM resolves to (docker.io/library/node:24-bookworm-slim).
//
// What it shares with the official node:<major>-<suite>-slim: Debian's minbase (essential packages,
// apt) with the slim images' dpkg excludes (no man pages, docs beyond copyright, locales), merged
// /usr, ca-certificates, node/npm/npx/nodejs in /usr/local/bin, PATH, NODE_VERSION, CMD ["node"].
// What it leaves out: the `node` user (uid 1000), yarn, corepack, Node's C headers and the
// docker-entrypoint.sh script — Ferry's image sets its own user and entrypoint.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BaseReference } from './base-reference.ts';
import type { Buildah } from './buildah.ts';
import { sha256 } from './image-inputs.ts';
import { fetchNodeRuntime, installNodeRuntime, NODE_RUNTIME } from './node-runtime.ts';
import { runStreaming, seconds, type Log } from './process.ts';

const run = promisify(execFile);

/** Tag prefix that records which inputs a base was made from (`localhost/ferry-base:<key>`). */
const BASE_KEY_REPOSITORY = 'localhost/ferry-base';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
/** debuerreotype's --slimify list, which the official debian:*-slim images are made with. */
const SLIM_DPKG_OPTIONS = [
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/groff/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/linda/*',
  'path-exclude=/usr/share/lintian/overrides/*',
  'path-exclude=/usr/share/locale/*',
  'path-exclude=/usr/share/man/*',
];
const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The base's key: suite, Node and npm, and the content of the scripts that make it (a changed
 * recipe is a new base). The Debian archive moving on does not change it: rebuild by removing the
 * store (`rm -rf ~/.cache/ferry/images/buildah`) to pick up Debian's updates.
 */
export function baseImageKey(base: BaseReference, scriptsContent: string): string {
  return sha256(`${base.full}\n${base.debianSuite}\nnode ${NODE_RUNTIME.node}\nnpm ${NODE_RUNTIME.npm}\n${scriptsContent}`).slice(0, 16);
}

export interface BaseImage {
  readonly reference: string;
  readonly key: string;
  readonly id: string;
  /** Seconds spent making it; undefined when the store had it. */
  readonly builtSeconds: number | undefined;
}

/** Finds the base for `key` in the store, or makes it; either way `base.full` names it afterwards. */
export async function ensureBaseImage(buildah: Buildah, base: BaseReference, key: string, log: Log): Promise<BaseImage> {
  const keyed = `${BASE_KEY_REPOSITORY}:${key}`;
  let id = await buildah.imageId(keyed);
  let builtSeconds: number | undefined;
  if (id === undefined) {
    const started = Date.now();
    id = await makeBaseImage(buildah, base, keyed, log);
    builtSeconds = seconds(started);
  }
  if ((await buildah.imageId(base.full)) !== id) await buildah.call(['tag', keyed, base.full]);
  // After the move of the tag: an old base then has no other name, and rmi deletes it.
  if (builtSeconds !== undefined) await removeOtherBases(buildah, keyed);
  return { reference: base.full, key, id, builtSeconds };
}

async function makeBaseImage(buildah: Buildah, base: BaseReference, keyed: string, log: Log): Promise<string> {
  const container = await buildah.call(['from', '--name', `ferry-base-${process.pid}-${Date.now()}`, 'scratch']);
  const downloads = await mkdtemp(join(tmpdir(), 'ferry-node-runtime-'));
  try {
    const rootfs = await buildah.call(['mount', container]);
    const runtime = fetchNodeRuntime(downloads);
    // Don't leave the download's rejection unobserved while mmdebstrap runs.
    runtime.catch(() => undefined);
    let started = Date.now();
    await runStreaming('mmdebstrap', mmdebstrapArgs(base.debianSuite, rootfs), { log, prefix: '[mmdebstrap] ' });
    log(`base: Debian ${base.debianSuite} root file system in ${seconds(started)} s`);
    started = Date.now();
    await installNodeRuntime(rootfs, await runtime);
    const { stdout: version } = await run('chroot', [rootfs, '/usr/local/bin/node', '--version']);
    if (version.trim() !== `v${NODE_RUNTIME.node}`) throw new Error(`the base's node says ${version.trim()}, expected v${NODE_RUNTIME.node}`);
    log(`base: node ${NODE_RUNTIME.node} and npm ${NODE_RUNTIME.npm} from the npm registry in ${seconds(started)} s`);
    await buildah.call(['umount', container]);
    await buildah.call(['config', '--env', `PATH=${IMAGE_PATH}`, '--env', `NODE_VERSION=${NODE_RUNTIME.node}`, '--cmd', '["node"]', container]);
    started = Date.now();
    const id = await buildah.call(['commit', '--quiet', '--rm', '--identity-label=false', '--format', 'oci', container, keyed]);
    log(`base: committed as ${keyed} in ${seconds(started)} s`);
    return id;
  } catch (error) {
    await buildah.call(['rm', container]).catch(() => undefined);
    throw error;
  } finally {
    await rm(downloads, { recursive: true, force: true });
  }
}

function mmdebstrapArgs(suite: string, target: string): string[] {
  return [
    '--mode=root',
    '--variant=minbase',
    '--format=directory',
    '--include=ca-certificates',
    // Sets up merged /usr itself, so the usrmerge package (and with it all of perl) stays out.
    '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
    ...SLIM_DPKG_OPTIONS.map((option) => `--dpkgopt=${option}`),
    suite,
    target,
    `deb ${DEBIAN_MIRROR} ${suite} main`,
    `deb ${DEBIAN_MIRROR} ${suite}-updates main`,
    `deb ${DEBIAN_SECURITY_MIRROR} ${suite}-security main`,
  ];
}

/** A new recipe leaves the old base unnamed; drop it so the store holds one base. */
async function removeOtherBases(buildah: Buildah, keep: string): Promise<void> {
  for (const name of await buildah.imageNames()) {
    if (name.startsWith(`${BASE_KEY_REPOSITORY}:`) && name !== keep) await buildah.call(['rmi', name]).catch(() => undefined);
  }
}
