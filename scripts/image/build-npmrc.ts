// npm settings for the Dockerfile's `RUN npm ci` steps that come from this machine and must not
// end up in the image: its registry and the certificate authorities it trusts. A machine behind a
// TLS-inspecting proxy (NODE_EXTRA_CA_CERTS, or npm's `cafile`) fails every fetch in the build with
// SELF_SIGNED_CERT_IN_CHAIN otherwise.
//
// They reach the build as a folder mounted read-only over /usr/local/etc for the RUN steps only
// (`buildah build --volume`): that is npm's global config folder for a Node in /usr/local, and it
// exists, empty, in the base image (Debian's base-files makes it), so the mount leaves nothing
// behind in any layer. A mount at a missing path would leave an empty file there.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where the folder is mounted in the build containers. */
export const BUILD_NPM_CONFIG_MOUNT = '/usr/local/etc';
const DEFAULT_REGISTRY = 'https://registry.npmjs.org/';

export interface HostNpmSettings {
  readonly registry: string;
  /** PEM certificates npm should trust in the build, or undefined to keep Node's own roots. */
  readonly caBundle: string | undefined;
}

/** The lines of the build's npmrc (pure). */
export function buildNpmrc(settings: HostNpmSettings): string {
  const lines = ['update-notifier=false'];
  if (settings.registry !== DEFAULT_REGISTRY) lines.push(`registry=${settings.registry}`);
  if (settings.caBundle !== undefined) lines.push(`cafile=${BUILD_NPM_CONFIG_MOUNT}/build-ca.pem`);
  return `${lines.join('\n')}\n`;
}

async function npmConfig(key: string): Promise<string | undefined> {
  const { stdout } = await run('npm', ['config', 'get', key]);
  const value = stdout.trim();
  return value === '' || value === 'null' || value === 'undefined' ? undefined : value;
}

/**
 * What this machine's npm trusts: its `cafile` (which replaces Node's roots for npm) or else Node's
 * bundled roots, plus NODE_EXTRA_CA_CERTS. Nothing to add when neither is set.
 */
export async function readHostNpmSettings(): Promise<HostNpmSettings> {
  const registry = (await npmConfig('registry')) ?? DEFAULT_REGISTRY;
  const cafile = await npmConfig('cafile');
  const extra = process.env['NODE_EXTRA_CA_CERTS'];
  if (cafile === undefined && (extra === undefined || extra === '')) return { registry, caBundle: undefined };
  const parts = [cafile === undefined ? rootCertificates.join('\n') : await readFile(cafile, 'utf8')];
  if (extra !== undefined && extra !== '') parts.push(await readFile(extra, 'utf8'));
  return { registry, caBundle: `${parts.join('\n')}\n` };
}

/** Writes the folder to mount at BUILD_NPM_CONFIG_MOUNT. */
export async function writeBuildNpmConfig(dir: string, settings: HostNpmSettings): Promise<void> {
  await writeFile(join(dir, 'npmrc'), buildNpmrc(settings));
  if (settings.caBundle !== undefined) await writeFile(join(dir, 'build-ca.pem'), settings.caBundle);
}
