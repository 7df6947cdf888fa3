// Finds or installs the tools the chart and manifest checks use: helm, kubeconform, kustomize and
// offline Kubernetes JSON schemas. Each lands once in `<cache>/bin/<tool>-<version>/` (cache root:
// FERRY_CACHE_DIR, else ~/.cache/ferry), built with `go install` or, for the schemas, `pip install`
// from PyPI. Installs go to a temporary folder that is renamed into place when complete, under a
// lock: of two test workers that want a tool at once, one builds it and the other waits. FERRY_HELM,
// FERRY_KUBECONFORM, FERRY_KUSTOMIZE and FERRY_KUBERNETES_SCHEMAS name ready ones instead.
// A cold install (empty Go caches, 2 cores) takes about 3½ minutes, mostly helm; a warm one, none.
//
//   node scripts/k8s-tools.ts      installs what is missing and prints each path and how long it took
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDirAtomically } from './lib/atomic-dir.ts';
import { commandRuns } from './lib/command.ts';
import { cacheDir } from './lib/nats-server.ts';

const run = promisify(execFile);

/** v4: `helm install` applies server-side, so the API server validates every object strictly (v3 only warns). */
export const HELM_VERSION = 'v4.3.2';
export const KUBECONFORM_VERSION = 'v0.7.0';
/** v5.8.3 needs Go 1.27; v5.8.2 is the newest that builds with Go 1.26. */
export const KUSTOMIZE_VERSION = 'v5.8.2';
export const KUBERNETES_VALIDATE_VERSION = '1.37.0';
/** The Kubernetes version charts are rendered and validated for (helm --kube-version, schemas). */
export const KUBERNETES_VERSION = '1.36.0';

type Log = (line: string) => void;
const silent: Log = () => undefined;

interface GoTool {
  readonly name: string;
  readonly version: string;
  readonly module: string;
  readonly ldflags?: string;
}

const HELM: GoTool = {
  name: 'helm',
  version: HELM_VERSION,
  module: 'helm.sh/helm/v4/cmd/helm',
  // Without it `helm version` says v4.3; its default Kubernetes version comes from client-go's module
  // version in the build info (renders pass --kube-version anyway).
  ldflags: `-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`,
};
const KUBECONFORM: GoTool = { name: 'kubeconform', version: KUBECONFORM_VERSION, module: 'github.com/yannh/kubeconform/cmd/kubeconform' };
const KUSTOMIZE: GoTool = { name: 'kustomize', version: KUSTOMIZE_VERSION, module: 'sigs.k8s.io/kustomize/kustomize/v5' };
/** Writes the chart's values reference from the comments in values.yaml (`scripts/chart-docs.ts`). */
const HELM_DOCS: GoTool = { name: 'helm-docs', version: 'v1.14.2', module: 'github.com/norwoodj/helm-docs/cmd/helm-docs' };

function toolDir(name: string, version: string): string {
  return join(cacheDir(), 'bin', `${name}-${version}`);
}

async function ensureGoTool(tool: GoTool, log: Log): Promise<string> {
  const override = `FERRY_${tool.name.toUpperCase().replaceAll('-', '_')}`;
  const explicit = process.env[override];
  if (explicit !== undefined) return explicit;
  const dir = toolDir(tool.name, tool.version);
  const binary = join(dir, tool.name);
  if (existsSync(binary)) return binary;
  await requireCommand('go', `Install Go, or set ${override} to a ${tool.name} ${tool.version} binary.`);
  const started = Date.now();
  log(`building ${tool.name} ${tool.version} with go install (once per machine) …`);
  await createDirAtomically(dir, async (tmp) => {
    const args = ['install', ...(tool.ldflags === undefined ? [] : ['-ldflags', tool.ldflags]), `${tool.module}@${tool.version}`];
    await run('go', args, {
      env: { ...process.env, CGO_ENABLED: '0', GOBIN: tmp, GOTOOLCHAIN: 'local' },
      maxBuffer: 64 * 1024 * 1024,
    });
  });
  log(`${tool.name} ${tool.version}: built in ${seconds(started)} → ${binary}`);
  return binary;
}

export function ensureHelm(log: Log = silent): Promise<string> {
  return ensureGoTool(HELM, log);
}

export function ensureKubeconform(log: Log = silent): Promise<string> {
  return ensureGoTool(KUBECONFORM, log);
}

export function ensureKustomize(log: Log = silent): Promise<string> {
  return ensureGoTool(KUSTOMIZE, log);
}

export function ensureHelmDocs(log: Log = silent): Promise<string> {
  return ensureGoTool(HELM_DOCS, log);
}

/**
 * A folder of strict JSON schemas for a Kubernetes version (default KUBERNETES_VERSION; the package
 * has 1.25 to 1.37) that kubeconform reads offline, one file per
 * kind and version (`deployment-apps-v1.json`, `service-v1.json`, …); use it as `-schema-location`
 * through kubeconformSchemaLocation().
 *
 * They come from the PyPI package `kubernetes-validate`, installed with `pip install --target` (no
 * venv: only its data files are used). Its `v1.xx.0-local-strict` files carry an `$id` on
 * kubernetes.io and `$ref` into `/api/_definitions.json`, which kubeconform would fetch from the
 * internet (and, offline, report as "could not find schema"). So they are copied once with the
 * `$id` dropped and each `$ref` made relative to the `_definitions.json` beside them.
 */
export async function ensureKubernetesSchemas(log: Log = silent, kubernetesVersion: string = KUBERNETES_VERSION): Promise<string> {
  const explicit = process.env['FERRY_KUBERNETES_SCHEMAS'];
  if (explicit !== undefined && kubernetesVersion === KUBERNETES_VERSION) return explicit;
  const schemas = toolDir('kubernetes-schemas', `v${kubernetesVersion}-strict`);
  if (existsSync(schemas)) return schemas;
  const python = await findPython();
  const started = Date.now();
  log(`installing kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} (JSON schemas) with pip (once per machine) …`);
  await createDirAtomically(schemas, async (tmp) => {
    // The package holds every minor version (~110 MB): it goes to a private folder, dropped after the copy.
    const pythonPackage = `${tmp}-pip`;
    try {
      await run(
        python,
        [
          '-m',
          'pip',
          'install',
          '--quiet',
          '--no-deps',
          '--disable-pip-version-check',
          '--target',
          pythonPackage,
          `kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}`,
        ],
        {
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const source = join(pythonPackage, 'kubernetes_validate', 'kubernetes-json-schema', `v${kubernetesVersion}-local-strict`);
      if (!existsSync(source))
        throw new Error(
          `kubernetes-validate ${KUBERNETES_VALIDATE_VERSION} has no schemas for Kubernetes ${kubernetesVersion} (looked for ${source})`,
        );
      for (const file of await readdir(source)) {
        if (!file.endsWith('.json')) continue;
        const schema = JSON.parse(await readFile(join(source, file), 'utf8')) as Record<string, unknown>;
        delete schema['$id'];
        await writeFile(join(tmp, file), JSON.stringify(schema).replaceAll('"/api/_definitions.json#', '"_definitions.json#'));
      }
    } finally {
      await rm(pythonPackage, { recursive: true, force: true });
    }
  });
  log(`kubernetes schemas ${kubernetesVersion}: ready in ${seconds(started)} → ${schemas}`);
  return schemas;
}

/**
 * kubeconform's `-schema-location` template for the folder ensureKubernetesSchemas() returns.
 * Files are named `<kind>-<group>-<version>.json` (core kinds: `<kind>-<version>.json`), which is
 * kubeconform's `{{.ResourceKind}}{{.KindSuffix}}` (the group's first DNS label only, e.g.
 * `networking` for networking.k8s.io, `rbac` for rbac.authorization.k8s.io).
 */
export function kubeconformSchemaLocation(schemasDir: string): string {
  return join(schemasDir, '{{.ResourceKind}}{{.KindSuffix}}.json');
}

/**
 * Environment for helm: its config, cache and data folders under the Ferry cache, so renders never
 * read or change the user's own helm repositories and plugins.
 */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = join(cacheDir(), 'helm-home');
  return {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

export interface K8sTools {
  readonly helm: string;
  readonly kubeconform: string;
  readonly kustomize: string;
  readonly schemas: string;
}

/** Every tool at once (Go builds run side by side; the build cache is safe for that). */
export async function ensureK8sTools(log: Log = silent): Promise<K8sTools> {
  // allSettled: a failure must not return while other builds still write into the cache.
  const settled = await Promise.allSettled([ensureHelm(log), ensureKubeconform(log), ensureKustomize(log), ensureKubernetesSchemas(log)]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const [helm, kubeconform, kustomize, schemas] = settled.map((result) => (result.status === 'fulfilled' ? result.value : ''));
  return { helm: helm ?? '', kubeconform: kubeconform ?? '', kustomize: kustomize ?? '', schemas: schemas ?? '' };
}

async function findPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    if (await commandRuns(candidate, ['-m', 'pip', '--version'])) return candidate;
  }
  throw new Error(
    `The Kubernetes JSON schemas come from PyPI (kubernetes-validate ${KUBERNETES_VALIDATE_VERSION}) and no python3 with pip was found. ` +
      'Install python3 and python3-pip, or set FERRY_KUBERNETES_SCHEMAS to a folder of standalone strict schemas for kubeconform.',
  );
}

async function requireCommand(command: string, hint: string): Promise<void> {
  if (!(await commandRuns(command, ['version']))) {
    throw new Error(`${command} is needed to install the Kubernetes tools and was not found. ${hint}`);
  }
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

if (import.meta.main) {
  const started = Date.now();
  const tools = await ensureK8sTools((line) => process.stdout.write(`${line}\n`));
  for (const [name, path] of Object.entries(tools)) process.stdout.write(`${name}: ${path}\n`);
  process.stdout.write(`ready in ${seconds(started)}\n`);
}
