// Generates the kustomize manifests under k8s/ from the Helm chart, which is their only source:
// each overlay's `chart-values.yaml` is rendered with `helm template` (release "ferry", namespace
// "ferry"); resources equal in every overlay go to k8s/base, the rest to the overlay.
//
//   node scripts/k8s-manifests.ts           rewrites k8s/base and k8s/overlays/*/ (keeps chart-values.yaml)
//   node scripts/k8s-manifests.ts --check   exits 1 if the committed files differ from a fresh render
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureHelm, helmEnv, KUBERNETES_VERSION } from './k8s-tools.ts';

const run = promisify(execFile);

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHART_DIR = join(REPO_ROOT, 'charts', 'ferry');
export const K8S_DIR = join(REPO_ROOT, 'k8s');
export const RELEASE_NAME = 'ferry';
export const RELEASE_NAMESPACE = 'ferry';
/** The overlays, each rendered from k8s/overlays/<name>/chart-values.yaml. */
export const OVERLAYS = ['embedded-nats', 'external-nats'] as const;
export const REGENERATE_COMMAND = 'node scripts/k8s-manifests.ts';

export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly [field: string]: unknown;
}

/** One rendered resource: its parsed form and its YAML text with the chart's comments. */
export interface RenderedResource {
  readonly manifest: Manifest;
  readonly text: string;
}

export function overlayValuesFile(overlay: string): string {
  return join(K8S_DIR, 'overlays', overlay, 'chart-values.yaml');
}

/** `helm template` of the chart; extra args such as `-f values.yaml` or `--set x=y`. */
export async function helmTemplate(
  helm: string,
  args: readonly string[],
  options: { releaseName?: string; namespace?: string } = {},
): Promise<string> {
  const { stdout } = await run(
    helm,
    [
      'template',
      options.releaseName ?? RELEASE_NAME,
      CHART_DIR,
      '--namespace',
      options.namespace ?? RELEASE_NAMESPACE,
      '--kube-version',
      KUBERNETES_VERSION,
      ...args,
    ],
    { env: helmEnv(), maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/** Splits a multi-document YAML stream into resources (empty documents dropped). */
export function parseResources(stream: string): RenderedResource[] {
  return parseAllDocuments(stream).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`YAML parse error: ${document.errors.map((error) => error.message).join('; ')}`);
    const manifest = document.toJS() as Manifest | null;
    if (manifest === null || typeof manifest !== 'object') return [];
    // Without the leading `---`: each resource gets a file of its own.
    return [{ manifest, text: document.toString({ lineWidth: 0 }).replace(/^---\n/, '') }];
  });
}

/** `Kind/namespace/name`, the identity kustomize and kubectl use. */
export function resourceKey(manifest: Manifest): string {
  return `${manifest.kind}/${manifest.metadata.namespace ?? ''}/${manifest.metadata.name}`;
}

function fileName(manifest: Manifest): string {
  return `${manifest.kind.toLowerCase()}-${manifest.metadata.name}.yaml`;
}

function header(source: string): string {
  return `# Generated from charts/ferry by \`${REGENERATE_COMMAND}\` (${source}); do not edit.\n`;
}

/** Every file under k8s/ the generator owns, path (relative to k8s/) → content. */
export async function generateManifestFiles(helm: string): Promise<Map<string, string>> {
  const renders = new Map<string, RenderedResource[]>();
  for (const overlay of OVERLAYS) renders.set(overlay, parseResources(await helmTemplate(helm, ['-f', overlayValuesFile(overlay)])));

  // Base: resources rendered identically for every overlay.
  const [first, ...others] = OVERLAYS.map((overlay) => renders.get(overlay) ?? []);
  const shared = (first ?? []).filter(({ manifest }) =>
    others.every((render) => render.some((other) => isDeepStrictEqual(other.manifest, manifest))),
  );
  const sharedKeys = new Set(shared.map(({ manifest }) => resourceKey(manifest)));

  const files = new Map<string, string>();
  const addKustomization = (dir: string, resources: readonly string[], comment: string): void => {
    files.set(
      join(dir, 'kustomization.yaml'),
      `${comment}${stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources })}`,
    );
  };
  const sortedNames = (resources: readonly RenderedResource[]): RenderedResource[] =>
    [...resources].sort((a, b) => fileName(a.manifest).localeCompare(fileName(b.manifest)));

  for (const resource of sortedNames(shared)) files.set(join('base', fileName(resource.manifest)), header('every overlay') + resource.text);
  addKustomization(
    'base',
    sortedNames(shared).map(({ manifest }) => fileName(manifest)),
    `${header('every overlay')}# What every overlay shares; apply an overlay, not the base alone (it lacks the Deployments).\n`,
  );
  for (const overlay of OVERLAYS) {
    const own = sortedNames((renders.get(overlay) ?? []).filter(({ manifest }) => !sharedKeys.has(resourceKey(manifest))));
    const dir = join('overlays', overlay);
    for (const resource of own) files.set(join(dir, fileName(resource.manifest)), header(`${dir}/chart-values.yaml`) + resource.text);
    addKustomization(
      dir,
      ['../../base', ...own.map(({ manifest }) => fileName(manifest))],
      `${header(`${dir}/chart-values.yaml`)}# kubectl apply -k k8s/${dir}   (after creating the Secrets named in chart-values.yaml; see k8s/README.md)\n`,
    );
  }
  return files;
}

/** Files the generator owns that exist now (everything in base/ and overlays/*, chart-values.yaml aside). */
async function existingGeneratedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const dir of ['base', ...OVERLAYS.map((overlay) => join('overlays', overlay))]) {
    const absolute = join(K8S_DIR, dir);
    if (!existsSync(absolute)) continue;
    for (const file of await readdir(absolute)) {
      if (file === 'chart-values.yaml' || !file.endsWith('.yaml')) continue;
      files.set(join(dir, file), await readFile(join(absolute, file), 'utf8'));
    }
  }
  return files;
}

/** Paths that differ between the committed files and a fresh render: changed, missing or extra. */
export async function manifestDrift(helm: string): Promise<string[]> {
  const [expected, actual] = await Promise.all([generateManifestFiles(helm), existingGeneratedFiles()]);
  const paths = new Set([...expected.keys(), ...actual.keys()]);
  return [...paths].filter((path) => expected.get(path) !== actual.get(path)).sort();
}

export async function writeManifestFiles(helm: string): Promise<string[]> {
  const files = await generateManifestFiles(helm);
  for (const path of (await existingGeneratedFiles()).keys()) if (!files.has(path)) await rm(join(K8S_DIR, path));
  for (const [path, content] of files) {
    await mkdir(dirname(join(K8S_DIR, path)), { recursive: true });
    await writeFile(join(K8S_DIR, path), content);
  }
  return [...files.keys()].sort();
}

if (import.meta.main) {
  const helm = await ensureHelm((line) => process.stderr.write(`${line}\n`));
  if (process.argv.includes('--check')) {
    const drift = await manifestDrift(helm);
    if (drift.length > 0) {
      process.stderr.write(
        `k8s/ differs from the chart in:\n${drift.map((path) => `  k8s/${path}`).join('\n')}\nRegenerate with: ${REGENERATE_COMMAND}\n`,
      );
      process.exit(1);
    }
    process.stdout.write('k8s/ matches the chart\n');
  } else {
    const written = await writeManifestFiles(helm);
    process.stdout.write(`wrote ${written.length} files under ${relative(REPO_ROOT, K8S_DIR)}/\n`);
  }
}
