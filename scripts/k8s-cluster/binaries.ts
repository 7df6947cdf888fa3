// Finds or builds the local control plane's binaries (issue 5): kube-apiserver,
// kube-controller-manager and kube-scheduler from the k8s.io/kubernetes module, etcd from the etcd
// server module the same build resolves, and kwok. For the real node (issue 10, ADR 0011) also
// kubelet and kube-proxy (same wrapper module, same version flags), containerd 2.x with its runc shim
// and ctr, and CoreDNS. Nothing is downloaded but Go modules from the module proxy; no Docker, no
// release tarballs.
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
// warm call finds them and takes no time. Node binaries: see ADR 0011.
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
/** containerd's 2.3 line: what Kubernetes 1.36 is tested with (its RELEASES.md: 2.3.0+, 2.2.0+). */
export const CONTAINERD_VERSION = 'v2.3.7';
/** The CoreDNS kubeadm 1.36 deploys (cmd/kubeadm/app/constants: CoreDNSVersion). */
export const COREDNS_VERSION = 'v1.14.2';
/** metrics-server: resource metrics from the kubelet for the HPA (kubectl top, autoscaling/v2). */
export const METRICS_SERVER_VERSION = 'v0.8.0';
/**
 * kube-router, for its NetworkPolicy firewall (iptables and ipsets): the only version the module
 * proxy serves. Security flaws are reported for it; it runs only in tests, on a node whose traffic
 * never leaves this machine (ADR 0014).
 */
export const KUBE_ROUTER_VERSION = 'v2.1.0';
/** crictl of the same minor: the node's teardown stops and removes pods through CRI (CNI DEL included). */
export const CRICTL_VERSION = 'v1.36.0';

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

export interface NodeBinaries {
  readonly kubelet: string;
  readonly kubeProxy: string;
  readonly containerd: string;
  /** containerd finds its shim on PATH: this folder goes first on containerd's PATH. */
  readonly containerdBinDir: string;
  readonly ctr: string;
  readonly coredns: string;
  readonly crictl: string;
  /** kubectl of the same release: what an operator types (port-forward, logs, delete) against the node. */
  readonly kubectl: string;
  readonly metricsServer: string;
  /** kube-router, its network policy firewall only: it enforces NetworkPolicies on the node. */
  readonly kubeRouter: string;
  /** Seconds each cold build took, when this call built it (undefined: all found in the cache). */
  readonly builtSeconds?: {
    readonly kubeNode?: number;
    readonly containerd?: number;
    readonly coredns?: number;
    readonly crictl?: number;
    readonly kubectl?: number;
    readonly metricsServer?: number;
    readonly kubeRouter?: number;
  };
}

// The etcd server module's main package: go names its binary "server" (a /vN suffix is skipped).
const ETCD_PACKAGE = 'go.etcd.io/etcd/server/v3';
const CONTROL_PLANE_PACKAGES = ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kube-controller-manager', 'k8s.io/kubernetes/cmd/kube-scheduler', ETCD_PACKAGE];
const NODE_PACKAGES = ['k8s.io/kubernetes/cmd/kubelet', 'k8s.io/kubernetes/cmd/kube-proxy'];
const CONTAINERD_MODULE = 'github.com/containerd/containerd/v2';

export function kubernetesBinDir(): string {
  return process.env['FERRY_K8S_BIN_DIR'] ?? join(cacheDir(), 'k8s', KUBERNETES_RELEASE);
}

/** kubelet and kube-proxy: a folder of their own, so the control plane's cached set stays as built. */
function kubeNodeBinDir(): string {
  return join(cacheDir(), 'k8s', `node-${KUBERNETES_RELEASE}`);
}

function kubeRouterBinDir(): string {
  return join(cacheDir(), 'k8s', `kube-router-${KUBE_ROUTER_VERSION}`);
}

function metricsServerBinDir(): string {
  return join(cacheDir(), 'k8s', `metrics-server-${METRICS_SERVER_VERSION}`);
}

function kubectlBinDir(): string {
  return join(cacheDir(), 'k8s', `kubectl-${KUBERNETES_RELEASE}`);
}

function containerdBinDir(): string {
  return join(cacheDir(), 'k8s', `containerd-${CONTAINERD_VERSION}`);
}

function corednsBinDir(): string {
  return join(cacheDir(), 'k8s', `coredns-${COREDNS_VERSION}`);
}

function crictlBinDir(): string {
  return join(cacheDir(), 'k8s', `crictl-${CRICTL_VERSION}`);
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

/** Builds `packages` of k8s.io/kubernetes (and etcd, when listed) into `out` through a wrapper module. */
async function buildKubernetes(out: string, packages: readonly string[], log: Log): Promise<void> {
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
      ['//go:build tools', '', 'package tools', '', 'import (', ...packages.map((pkg) => `\t_ "${pkg}"`), ')', ''].join('\n'),
    );
    await go(['mod', 'tidy'], wrapper, log);
    const withEtcd = packages.includes(ETCD_PACKAGE);
    const etcdVersion = withEtcd ? (await go(['list', '-m', '-f', '{{.Version}}', 'go.etcd.io/etcd/server/v3'], wrapper, log)).trim() : undefined;
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
    // One `go build` for the set: the shared dependencies compile once.
    await go(['build', '-trimpath', '-ldflags', ldflags, '-o', out + '/', ...packages], wrapper, log);
    if (withEtcd) await rename(join(out, 'server'), join(out, 'etcd'));
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
  await createDirAtomically(dir, (tmp) => buildKubernetes(tmp, CONTROL_PLANE_PACKAGES, log));
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

async function ensureKubeNode(log: Log): Promise<number | undefined> {
  const dir = kubeNodeBinDir();
  if (['kubelet', 'kube-proxy'].every((name) => existsSync(join(dir, name)))) return undefined;
  const started = Date.now();
  log(`building kubelet and kube-proxy ${KUBERNETES_RELEASE} with Go (once per machine) …`);
  await createDirAtomically(dir, (tmp) => buildKubernetes(tmp, NODE_PACKAGES, log));
  const seconds = (Date.now() - started) / 1000;
  log(`kubelet + kube-proxy ${KUBERNETES_RELEASE}: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

async function ensureKubectl(log: Log): Promise<number | undefined> {
  const dir = kubectlBinDir();
  if (existsSync(join(dir, 'kubectl'))) return undefined;
  const started = Date.now();
  log(`building kubectl ${KUBERNETES_RELEASE} with Go (once per machine) …`);
  await createDirAtomically(dir, (tmp) => buildKubernetes(tmp, ['k8s.io/kubernetes/cmd/kubectl'], log));
  const seconds = (Date.now() - started) / 1000;
  log(`kubectl ${KUBERNETES_RELEASE}: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

/**
 * A command built in a wrapper module: `go install …@version` refuses a module with replace
 * directives, and `go get` of the command's package resolves exactly its dependencies.
 */
async function ensureBuiltInWrapper(
  what: string,
  dir: string,
  binary: string,
  command: string,
  version: string,
  log: Log,
  ldflags = '',
): Promise<number | undefined> {
  if (existsSync(join(dir, binary))) return undefined;
  const started = Date.now();
  log(`building ${what} ${version} with Go (once per machine) …`);
  await createDirAtomically(dir, async (tmp) => {
    const wrapper = await mkdtemp(join(tmpdir(), `ferry-${binary}-`));
    try {
      await go(['mod', 'init', `ferry.local/${binary}-wrapper`], wrapper, log);
      await go(['get', `${command}@${version}`], wrapper, log);
      await go(['build', '-trimpath', '-ldflags', `-s -w ${ldflags}`.trim(), '-o', join(tmp, binary), command], wrapper, log);
    } finally {
      await rm(wrapper, { recursive: true, force: true });
    }
  });
  const seconds = (Date.now() - started) / 1000;
  log(`${what} ${version}: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

/**
 * containerd, ctr and the runc shim as containerd's Makefile builds them (its tags and version
 * variables), pure Go: CGO off leaves out only the btrfs snapshotter. The module has no replace
 * directives, so `go install …@version` works.
 */
async function ensureContainerd(log: Log): Promise<number | undefined> {
  const dir = containerdBinDir();
  if (['containerd', 'containerd-shim-runc-v2', 'ctr'].every((name) => existsSync(join(dir, name)))) return undefined;
  const started = Date.now();
  log(`building containerd ${CONTAINERD_VERSION} (containerd, containerd-shim-runc-v2, ctr) with go install (once per machine) …`);
  const ldflags = `-s -w -X ${CONTAINERD_MODULE}/version.Version=${CONTAINERD_VERSION} -X ${CONTAINERD_MODULE}/version.Package=${CONTAINERD_MODULE}`;
  const install = async (tmp: string, tags: string, commands: readonly string[]): Promise<void> => {
    const args = ['install', '-trimpath', '-tags', tags, '-ldflags', ldflags, ...commands.map((command) => `${CONTAINERD_MODULE}/cmd/${command}@${CONTAINERD_VERSION}`)];
    log(`  $ go ${args.join(' ')}`);
    await run('go', args, { env: goEnv({ GOBIN: tmp }), maxBuffer: 64 * 1024 * 1024 });
  };
  await createDirAtomically(dir, async (tmp) => {
    await install(tmp, 'urfave_cli_no_docs', ['containerd', 'ctr']);
    // The shim is started once per pod: its Makefile target leaves out gRPC (ttrpc only).
    await install(tmp, 'urfave_cli_no_docs no_grpc', ['containerd-shim-runc-v2']);
  });
  const seconds = (Date.now() - started) / 1000;
  log(`containerd ${CONTAINERD_VERSION}: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

/** `go install module/cmd@version` into a cached folder of its own, for modules without replaces. */
async function ensureGoInstalled(what: string, dir: string, binary: string, target: string, log: Log, ldflags = ''): Promise<number | undefined> {
  if (existsSync(join(dir, binary))) return undefined;
  const started = Date.now();
  log(`building ${what} with go install (once per machine) …`);
  await createDirAtomically(dir, async (tmp) => {
    await run('go', ['install', '-trimpath', '-ldflags', `-s -w ${ldflags}`.trim(), target], { env: goEnv({ GOBIN: tmp }), maxBuffer: 64 * 1024 * 1024 });
  });
  const seconds = (Date.now() - started) / 1000;
  log(`${what}: built in ${seconds.toFixed(1)} s → ${dir}`);
  return seconds;
}

/**
 * The real node's binaries. Built one after the other, not side by side: each is a large compile,
 * and two cores run one faster than two halves.
 */
export async function ensureNodeBinaries(log: Log = () => undefined): Promise<NodeBinaries> {
  const kubeNode = await ensureKubeNode(log);
  const containerd = await ensureContainerd(log);
  // CoreDNS keeps its version in a constant (coremain.CoreVersion); crictl's is set at link time.
  const coredns = await ensureGoInstalled(`CoreDNS ${COREDNS_VERSION}`, corednsBinDir(), 'coredns', `github.com/coredns/coredns@${COREDNS_VERSION}`, log);
  const crictl = await ensureGoInstalled(`crictl ${CRICTL_VERSION}`, crictlBinDir(), 'crictl', `sigs.k8s.io/cri-tools/cmd/crictl@${CRICTL_VERSION}`, log,
    `-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}`);
  const kubectl = await ensureKubectl(log);
  const metricsServer = await ensureBuiltInWrapper('metrics-server', metricsServerBinDir(), 'metrics-server', 'sigs.k8s.io/metrics-server/cmd/metrics-server',
    METRICS_SERVER_VERSION, log, `-X k8s.io/client-go/pkg/version.gitVersion=${METRICS_SERVER_VERSION}`);
  const kubeRouter = await ensureBuiltInWrapper('kube-router', kubeRouterBinDir(), 'kube-router', 'github.com/cloudnativelabs/kube-router/v2/cmd/kube-router',
    KUBE_ROUTER_VERSION, log, `-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=${KUBE_ROUTER_VERSION}`);
  const seconds = { kubeNode, containerd, coredns, crictl, kubectl, metricsServer, kubeRouter };
  const built = Object.fromEntries(Object.entries(seconds).filter(([, value]) => value !== undefined));
  return { ...nodeBinaryPaths(), ...(Object.keys(built).length === 0 ? {} : { builtSeconds: built }) };
}

/** Where the node's binaries are, built or not: what a teardown needs (it must not build anything). */
export function nodeBinaryPaths(): NodeBinaries {
  return {
    kubelet: join(kubeNodeBinDir(), 'kubelet'),
    kubeProxy: join(kubeNodeBinDir(), 'kube-proxy'),
    containerd: join(containerdBinDir(), 'containerd'),
    containerdBinDir: containerdBinDir(),
    ctr: join(containerdBinDir(), 'ctr'),
    coredns: join(corednsBinDir(), 'coredns'),
    crictl: join(crictlBinDir(), 'crictl'),
    kubectl: join(kubectlBinDir(), 'kubectl'),
    metricsServer: join(metricsServerBinDir(), 'metrics-server'),
    kubeRouter: join(kubeRouterBinDir(), 'kube-router'),
  };
}
