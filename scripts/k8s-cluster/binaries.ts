// Finds or builds the local control plane's binaries (issue 5): kube-apiserver,
// kube-controller-manager and kube-scheduler from the k8s.io/kubernetes module, etcd from the etcd
// server module the same build resolves, and kwok. Nothing is downloaded but Go modules from the
// module proxy; no Docker, no release tarballs.
//
// `go install k8s.io/kubernetes/cmd/kube-apiserver@v1.36.3` refuses (the module's go.mod replaces
// every k8s.io/* staging module by ./staging/src/…), so the build happens in a throwaway wrapper
// module: its go.mod requires k8s.io/kubernetes and replaces each staging module named in that
// module's own go.mod by its published v0.36.x version. etcd is built in the same `go build` (shared
// compile of grpc, protobuf, …) at the version Kubernetes' own dependency graph selects, so the
// Kubernetes binaries keep the exact dependency set they were released and tested with.
//
// Everything lands once in `<cache>/k8s/<version>/` (cache root: FERRY_CACHE_DIR, else
// ~/.cache/ferry), built into a private temporary folder and renamed into place, so a second
// builder running at the same time ends with a whole set and never sees half of one.
// FERRY_K8S_BIN_DIR names a folder with ready binaries (same file names) instead.
// Measured on 2 cores with empty Go caches: 415 s for the four binaries, kwok (224 s) alongside; a
// warm call finds them and takes no time.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDirAtomically } from '../lib/atomic-dir.ts';
import { cacheDir } from '../lib/nats-server.ts';

const run = promisify(execFile);

/** The Kubernetes release under test, and the published version of its staging modules. */
export const KUBERNETES_RELEASE = 'v1.36.3';
export const STAGING_VERSION = 'v0.36.3';
export const KWOK_VERSION = 'v0.8.0';

type Log = (line: string) => void;

export interface ControlPlaneBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
  readonly kubeScheduler: string;
  readonly kwok: string;
  /** Seconds the cold builds took, when this call built them (undefined: found in the cache). */
  readonly builtSeconds?: { readonly kubernetes?: number; readonly kwok?: number };
}

const KUBE_PACKAGES = {
  kubeApiserver: 'k8s.io/kubernetes/cmd/kube-apiserver',
  kubeControllerManager: 'k8s.io/kubernetes/cmd/kube-controller-manager',
  kubeScheduler: 'k8s.io/kubernetes/cmd/kube-scheduler',
} as const;
// The etcd server module's main package: go names its binary "server" (a /vN suffix is skipped).
const ETCD_PACKAGE = 'go.etcd.io/etcd/server/v3';

export function kubernetesBinDir(): string {
  return process.env['FERRY_K8S_BIN_DIR'] ?? join(cacheDir(), 'k8s', KUBERNETES_RELEASE);
}

function kwokBinDir(): string {
  return join(cacheDir(), 'k8s', `kwok-${KWOK_VERSION}`);
}

function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // GOTOOLCHAIN=local: never fetch a newer Go; the chosen versions build with Go 1.26.
  return { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false', ...extra };
}

async function go(args: readonly string[], cwd: string, log: Log): Promise<string> {
  log(`  $ go ${args.join(' ')}`);
  const { stdout } = await run('go', [...args], { cwd, env: goEnv(), maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** The k8s.io/* modules k8s.io/kubernetes replaces by `./staging/src/…`, read from its own go.mod. */
export function stagingModules(goMod: string): string[] {
  const modules = new Set<string>();
  for (const match of goMod.matchAll(/^\s*(k8s\.io\/[A-Za-z0-9._-]+)\s+=>\s+\.\/staging\//gm)) modules.add(match[1] ?? '');
  modules.delete('');
  return [...modules].sort();
}

async function buildKubernetes(out: string, log: Log): Promise<void> {
  const wrapper = await mkdtemp(join(tmpdir(), 'ferry-k8s-wrapper-'));
  try {
    await go(['mod', 'init', 'ferry.local/k8s-wrapper'], wrapper, log);
    const download = JSON.parse(await go(['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_RELEASE}`], wrapper, log)) as {
      GoMod?: string;
      Error?: string;
    };
    if (download.GoMod === undefined) throw new Error(`go mod download k8s.io/kubernetes@${KUBERNETES_RELEASE}: ${download.Error ?? 'no go.mod'}`);
    const modules = stagingModules(await readFile(download.GoMod, 'utf8'));
    if (modules.length < 20) throw new Error(`expected the staging replaces in ${download.GoMod}, found ${modules.length}`);
    log(`  replacing ${modules.length} staging modules by their published ${STAGING_VERSION}`);
    await go(['mod', 'edit', ...modules.map((module) => `-replace=${module}=${module}@${STAGING_VERSION}`), `-require=k8s.io/kubernetes@${KUBERNETES_RELEASE}`], wrapper, log);
    // A tools file makes `go mod tidy` resolve exactly the packages we build.
    await writeFile(
      join(wrapper, 'tools.go'),
      ['//go:build tools', '', 'package tools', '', 'import (', ...[...Object.values(KUBE_PACKAGES), ETCD_PACKAGE].map((pkg) => `\t_ "${pkg}"`), ')', ''].join('\n'),
    );
    await go(['mod', 'tidy'], wrapper, log);
    const etcdVersion = (await go(['list', '-m', '-f', '{{.Version}}', 'go.etcd.io/etcd/server/v3'], wrapper, log)).trim();
    const [major, minor] = KUBERNETES_RELEASE.replace(/^v/, '').split('.');
    const version = 'k8s.io/component-base/version';
    const ldflags = [
      '-s',
      '-w',
      `-X ${version}.gitVersion=${KUBERNETES_RELEASE}`,
      `-X ${version}.gitMajor=${major ?? ''}`,
      `-X ${version}.gitMinor=${minor ?? ''}`,
      `-X ${version}.gitTreeState=clean`,
    ].join(' ');
    // One `go build` for all four: the shared dependencies compile once.
    await go(['build', '-trimpath', '-ldflags', ldflags, '-o', out + '/', ...Object.values(KUBE_PACKAGES), ETCD_PACKAGE], wrapper, log);
    await rename(join(out, 'server'), join(out, 'etcd'));
    await writeFile(join(out, 'go.mod'), await readFile(join(wrapper, 'go.mod'), 'utf8'));
    await writeFile(join(out, 'build-info.json'), JSON.stringify({ kubernetes: KUBERNETES_RELEASE, staging: STAGING_VERSION, etcd: etcdVersion, go: (await run('go', ['env', 'GOVERSION'])).stdout.trim() }, null, 2));
  } finally {
    await rm(wrapper, { recursive: true, force: true });
  }
}

async function ensureKubernetes(log: Log): Promise<number | undefined> {
  const dir = kubernetesBinDir();
  if (['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd'].every((name) => existsSync(join(dir, name)))) return undefined;
  if (process.env['FERRY_K8S_BIN_DIR'] !== undefined) throw new Error(`FERRY_K8S_BIN_DIR=${dir} lacks kube-apiserver, kube-controller-manager, kube-scheduler or etcd`);
  const started = Date.now();
  log(`building Kubernetes ${KUBERNETES_RELEASE} (kube-apiserver, kube-controller-manager, kube-scheduler) and etcd with Go (once per machine; about 7 minutes on 2 cores, 3.6 GB of Go build cache) …`);
  await createDirAtomically(dir, (tmp) => buildKubernetes(tmp, log));
  const seconds = (Date.now() - started) / 1000;
  log(`Kubernetes ${KUBERNETES_RELEASE} + etcd: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

async function ensureKwok(log: Log): Promise<number | undefined> {
  const explicit = process.env['FERRY_KWOK'];
  if (explicit !== undefined) return undefined;
  const dir = kwokBinDir();
  if (existsSync(join(dir, 'kwok'))) return undefined;
  const started = Date.now();
  log(`building kwok ${KWOK_VERSION} with go install (once per machine) …`);
  await createDirAtomically(dir, async (tmp) => {
    await run('go', ['install', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], { env: goEnv({ GOBIN: tmp }), maxBuffer: 64 * 1024 * 1024 });
  });
  const seconds = (Date.now() - started) / 1000;
  log(`kwok ${KWOK_VERSION}: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

/** Every binary, built side by side when missing (the Go build cache is safe for that). */
export async function ensureControlPlaneBinaries(log: Log = () => undefined): Promise<ControlPlaneBinaries> {
  const settled = await Promise.allSettled([ensureKubernetes(log), ensureKwok(log)]);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const [kubernetes, kwok] = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
  const dir = kubernetesBinDir();
  return {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
    kubeScheduler: join(dir, 'kube-scheduler'),
    kwok: process.env['FERRY_KWOK'] ?? join(kwokBinDir(), 'kwok'),
    ...(kubernetes === undefined && kwok === undefined ? {} : { builtSeconds: { ...(kubernetes === undefined ? {} : { kubernetes }), ...(kwok === undefined ? {} : { kwok }) } }),
  };
}
