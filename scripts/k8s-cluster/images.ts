// The real node's images, built on this machine (issue 10, ADR 0011): no registry is reachable, so
// neither the pod sandbox ("pause") image nor a test image can be pulled. Each is a one-layer OCI
// image archive that `ctr -n k8s.io images import` takes:
//
//   pause    Kubernetes' own build/pause/linux/pause.c (from the k8s.io/kubernetes module download)
//            compiled with `gcc -Os -static`, as its Makefile does; user 65535, entrypoint /pause.
//   nats     the nats-server binary Ferry's tests run (scripts/lib/nats-server.ts: a static Go build)
//            at /usr/local/bin, for the chart's embedded NATS StatefulSet (`nats.embedded.image`).
//   busybox  Debian's busybox-static binary with a symlink per applet (sh, wget, httpd, nc,
//            nslookup, …), /etc/passwd, /etc/group and /etc/nsswitch.conf. Its static glibc
//            resolves names through /etc/resolv.conf without NSS modules (checked in a chroot).
//
// The archives are reproducible (sorted tar, owner 0, mtime 0) and cached under
// <cache>/k8s/images/; the busybox one is named after the Debian package version it was made from.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { createDirAtomically } from '../lib/atomic-dir.ts';
import { cacheDir, ensureNatsServer, NATS_SERVER_VERSION } from '../lib/nats-server.ts';
import { KUBERNETES_RELEASE } from './binaries.ts';

const run = promisify(execFile);

type Log = (line: string) => void;

/** The pause version Kubernetes 1.36 builds (build/pause/Makefile TAG; kubeadm's PauseVersion). */
export const PAUSE_VERSION = '3.10.2';
export const PAUSE_IMAGE = `localhost/ferry/pause:${PAUSE_VERSION}`;
/** Where Debian's busybox-static package puts its binary. */
const BUSYBOX_BINARY = '/bin/busybox';

export interface NodeImage {
  /** The image reference pods name (`imagePullPolicy: Never`: it is never pulled). */
  readonly name: string;
  /** An OCI image layout tar for `ctr images import`. */
  readonly archive: string;
}

export interface NodeImages {
  readonly pause: NodeImage;
  readonly busybox: NodeImage;
  readonly nats: NodeImage;
  /** Seconds each build took, when this call built it (undefined: all were cached). */
  readonly builtSeconds?: { readonly pause?: number; readonly busybox?: number; readonly nats?: number };
}

interface ImageConfig {
  readonly User?: string;
  readonly Env?: readonly string[];
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly WorkingDir?: string;
}

function imagesDir(): string {
  return join(cacheDir(), 'k8s', 'images');
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * Writes `rootfs` as a one-layer OCI image layout tar named `name` (the `io.containerd.image.name`
 * annotation is the name `ctr images import` gives it). The layer is an uncompressed tar, so its
 * digest is also its diff id.
 */
export async function writeOciArchive(rootfs: string, name: string, config: ImageConfig, archive: string): Promise<void> {
  const layout = await mkdtemp(join(tmpdir(), 'ferry-oci-'));
  try {
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const layerTar = join(layout, 'layer.tar');
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', rootfs, '-cf', layerTar, '.']);
    const layer = await readFile(layerTar);
    await rm(layerTar);
    const blob = async (data: Buffer | string): Promise<{ digest: string; size: number }> => {
      const hex = sha256(data);
      await writeFile(join(blobs, hex), data);
      return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
    };
    const layerBlob = await blob(layer);
    const configBlob = await blob(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '1970-01-01T00:00:00Z',
        config,
        rootfs: { type: 'layers', diff_ids: [layerBlob.digest] },
        history: [{ created: '1970-01-01T00:00:00Z', created_by: `ferry scripts/k8s-cluster/images.ts (${name})` }],
      }),
    );
    const manifestBlob = await blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerBlob }],
      }),
    );
    const tag = name.slice(name.lastIndexOf(':') + 1);
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            ...manifestBlob,
            platform: { architecture: 'amd64', os: 'linux' },
            annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
          },
        ],
      }),
    );
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await run('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}

/** Kubernetes' pause.c from the module download the control plane's build already fetched. */
async function pauseSource(log: Log): Promise<string> {
  const wrapper = await mkdtemp(join(tmpdir(), 'ferry-pause-src-'));
  try {
    await run('go', ['mod', 'init', 'ferry.local/pause'], { cwd: wrapper, env: { ...process.env, GOTOOLCHAIN: 'local' } });
    log(`  $ go mod download -json k8s.io/kubernetes@${KUBERNETES_RELEASE}`);
    const { stdout } = await run('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_RELEASE}`], {
      cwd: wrapper,
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const { Dir: dir } = JSON.parse(stdout) as { Dir?: string };
    if (dir === undefined) throw new Error(`go mod download k8s.io/kubernetes@${KUBERNETES_RELEASE}: no Dir in ${stdout}`);
    return join(dir, 'build', 'pause', 'linux', 'pause.c');
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

async function buildPause(archive: string, log: Log): Promise<void> {
  const source = await pauseSource(log);
  const rootfs = await mkdtemp(join(tmpdir(), 'ferry-pause-'));
  try {
    // The flags of build/pause/Makefile (`-Os -Wall -Werror -static`), version string included.
    const args = ['-Os', '-Wall', '-Werror', '-static', `-DVERSION=v${PAUSE_VERSION}-ferry`, '-o', join(rootfs, 'pause'), source];
    log(`  $ gcc ${args.join(' ')}`);
    await run('gcc', args);
    await run('strip', [join(rootfs, 'pause')]);
    await writeOciArchive(rootfs, PAUSE_IMAGE, { User: '65535:65535', Entrypoint: ['/pause'] }, archive);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

async function buildBusybox(name: string, archive: string, log: Log): Promise<void> {
  const rootfs = await mkdtemp(join(tmpdir(), 'ferry-busybox-'));
  try {
    log(`  busybox rootfs from ${BUSYBOX_BINARY}`);
    await mkdir(join(rootfs, 'bin'), { recursive: true });
    await copyFile(BUSYBOX_BINARY, join(rootfs, 'bin', 'busybox'));
    await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
    const { stdout } = await run(BUSYBOX_BINARY, ['--list-full']);
    for (const applet of stdout.split('\n').filter((line) => line !== '' && line !== 'bin/busybox')) {
      await mkdir(join(rootfs, dirname(applet)), { recursive: true });
      if (!existsSync(join(rootfs, applet))) await symlink('/bin/busybox', join(rootfs, applet));
    }
    await mkdir(join(rootfs, 'etc'));
    await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
    await writeFile(join(rootfs, 'etc', 'nsswitch.conf'), 'hosts: files dns\n');
    for (const dir of ['root', 'tmp', 'var/www']) await mkdir(join(rootfs, dir), { recursive: true });
    await chmod(join(rootfs, 'tmp'), 0o1777);
    await writeOciArchive(rootfs, name, { Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'], WorkingDir: '/' }, archive);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

async function buildNats(name: string, archive: string, log: Log): Promise<void> {
  const found = await ensureNatsServer(log);
  const binary = found.includes('/') ? found : (await run('sh', ['-c', `command -v ${found}`])).stdout.trim();
  const { stdout: elf } = await run('file', ['-L', binary]);
  if (!elf.includes('statically linked')) throw new Error(`${binary} is not statically linked; the NATS image holds nothing else (${elf.trim()})`);
  const rootfs = await mkdtemp(join(tmpdir(), 'ferry-nats-'));
  try {
    log(`  nats rootfs from ${binary}`);
    await mkdir(join(rootfs, 'usr', 'local', 'bin'), { recursive: true });
    await copyFile(binary, join(rootfs, 'usr', 'local', 'bin', 'nats-server'));
    await chmod(join(rootfs, 'usr', 'local', 'bin', 'nats-server'), 0o755);
    await mkdir(join(rootfs, 'tmp'));
    await chmod(join(rootfs, 'tmp'), 0o1777);
    await writeOciArchive(rootfs, name, { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Entrypoint: ['nats-server'], WorkingDir: '/' }, archive);
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}

/** Debian's busybox-static version, e.g. `1:1.35.0-4+deb12u1+b1`: it keys the cached archive. */
async function busyboxPackageVersion(): Promise<string> {
  const { stdout } = await run('dpkg-query', ['-W', '-f', '${Version}', 'busybox-static']);
  return stdout.trim();
}

async function ensureImage(what: string, archive: string, build: (archive: string) => Promise<void>, log: Log): Promise<number | undefined> {
  if (existsSync(archive)) return undefined;
  const started = Date.now();
  log(`building the ${what} image …`);
  // The archive sits alone in a folder so that it, too, appears whole or not at all.
  await createDirAtomically(dirname(archive), (tmp) => build(join(tmp, 'image.tar')));
  const seconds = (Date.now() - started) / 1000;
  log(`${what} image: built in ${seconds.toFixed(1)} s → ${archive}`);
  return seconds;
}

/** Finds or builds the images (a few seconds each). Needs gcc with a static libc, busybox-static and nats-server. */
export async function ensureNodeImages(log: Log = () => undefined): Promise<NodeImages> {
  const debianVersion = await busyboxPackageVersion();
  // 1:1.35.0-4+deb12u1+b1 → tag 1.35.0; the folder keeps the whole Debian version.
  const upstream = /^(?:\d+:)?([0-9.]+)/.exec(debianVersion)?.[1] ?? 'debian';
  const pause: NodeImage = { name: PAUSE_IMAGE, archive: join(imagesDir(), `pause-${PAUSE_VERSION}`, 'image.tar') };
  const busybox: NodeImage = {
    name: `localhost/ferry/busybox:${upstream}`,
    archive: join(imagesDir(), `busybox-${debianVersion.replace(/[^A-Za-z0-9.+-]/g, '_')}`, 'image.tar'),
  };
  const natsTag = NATS_SERVER_VERSION.replace(/^v/, '');
  const nats: NodeImage = { name: `localhost/ferry/nats:${natsTag}`, archive: join(imagesDir(), `nats-${natsTag}`, 'image.tar') };
  const seconds = {
    pause: await ensureImage('pause', pause.archive, (archive) => buildPause(archive, log), log),
    busybox: await ensureImage('busybox', busybox.archive, (archive) => buildBusybox(busybox.name, archive, log), log),
    nats: await ensureImage('nats', nats.archive, (archive) => buildNats(nats.name, archive, log), log),
  };
  const built = Object.fromEntries(Object.entries(seconds).filter(([, value]) => value !== undefined));
  return { pause, busybox, nats, ...(Object.keys(built).length === 0 ? {} : { builtSeconds: built }) };
}
