// The control plane from the command line (`npm run k8s:up`, `k8s:down`, `k8s:build`):
//
//   node scripts/k8s-cluster/cli.ts up [--node]     builds what is missing, starts a cluster in the
//                                                   background (state in .ferry/k8s), prints the
//                                                   kubeconfig and timings; --node adds the real node
//   node scripts/k8s-cluster/cli.ts env             prints `export KUBECONFIG=…` lines for the running cluster
//   node scripts/k8s-cluster/cli.ts down            stops it (the node's pods, mounts, iptables chains and
//                                                   bridge included) and removes its state
//   node scripts/k8s-cluster/cli.ts build [--node]  only builds (or finds) the binaries (and the node's
//                                                   binaries and images) and prints how long it took
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureControlPlaneBinaries, KUBERNETES_RELEASE } from './binaries.ts';
import { startCluster } from './control-plane.ts';
import { prepareNode, stopRealNode } from './node.ts';
import { stopPid, type Log } from './processes.ts';

const REPO_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const DEFAULT_STATE = join(REPO_ROOT, '.ferry', 'k8s');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface ClusterState {
  readonly apiserverUrl: string;
  readonly adminKubeconfig: string;
  readonly auditLog: string;
  readonly pids: Record<string, number>;
  /** The real node's component pids (`up --node`), stopped and cleaned up before the control plane's. */
  readonly nodePids?: Record<string, number>;
}

async function cliUp(say: Log, realNode: boolean): Promise<void> {
  const stateDir = process.env['FERRY_K8S_STATE'] ?? DEFAULT_STATE;
  if (existsSync(join(stateDir, 'cluster.json'))) throw new Error(`a cluster is already up (state in ${stateDir}); run \`node scripts/k8s-cluster/cli.ts down\` first`);
  const started = Date.now();
  const kwokNodes = process.env['FERRY_K8S_NODES'];
  const cluster = await startCluster({ stateDir, detached: true, realNode, ...(kwokNodes === undefined ? {} : { nodes: Number(kwokNodes) }), log: say });
  const built = { ...cluster.binaries.builtSeconds, ...cluster.node?.binaries.builtSeconds, ...cluster.node?.images.builtSeconds };
  if (Object.keys(built).length > 0) say(`cold build: ${Object.entries(built).map(([name, s]) => `${name} ${s.toFixed(1)} s`).join(', ')}`);
  const warm = cluster.timings['total'] ?? 0;
  const nodePids = cluster.node === undefined ? undefined : Object.fromEntries(cluster.node.processes.map((each) => [each.name, each.child.pid ?? 0]));
  const state: ClusterState = { apiserverUrl: cluster.apiserverUrl, adminKubeconfig: cluster.adminKubeconfig, auditLog: cluster.auditLog, pids: cluster.pids, ...(nodePids === undefined ? {} : { nodePids }) };
  await writeFile(join(stateDir, 'cluster.json'), JSON.stringify({ ...state, timings: cluster.timings }, null, 2));
  const nodes = [`${cluster.nodeNames.length} kwok nodes`, ...(cluster.node === undefined ? [] : [`real node ${cluster.node.name} (pods ${cluster.node.podCidr}, DNS ${cluster.node.dnsAddress}, test image ${cluster.node.images.busybox.name})`])];
  say(`control plane ${KUBERNETES_RELEASE} up at ${cluster.apiserverUrl} with ${nodes.join(' and ')}`);
  say(`start: ${seconds(warm)} (${Object.entries(cluster.timings).map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ')}); whole command ${seconds(Date.now() - started)}`);
  say(`export KUBECONFIG=${cluster.adminKubeconfig}`);
}

async function readState(): Promise<{ stateDir: string; state: ClusterState }> {
  const stateDir = process.env['FERRY_K8S_STATE'] ?? DEFAULT_STATE;
  const file = join(stateDir, 'cluster.json');
  if (!existsSync(file)) throw new Error(`no cluster is up (no ${file}); run \`node scripts/k8s-cluster/cli.ts up\``);
  return { stateDir, state: JSON.parse(await readFile(file, 'utf8')) as ClusterState };
}

async function cliDown(say: Log): Promise<void> {
  const stateDir = process.env['FERRY_K8S_STATE'] ?? DEFAULT_STATE;
  if (!existsSync(join(stateDir, 'cluster.json'))) {
    say(`no cluster state in ${stateDir}`);
    return;
  }
  const { state } = await readState();
  if (state.nodePids !== undefined) {
    await stopRealNode(stateDir, state.nodePids, say);
    say('stopped the real node and removed its containers, mounts, iptables chains and bridge');
  }
  // The pids this script started, newest first (kwok … etcd), each by id; a pid reused since
  // (after a reboot) does not name the state folder and is left alone.
  for (const [name, pid] of Object.entries(state.pids).reverse()) {
    if (await stopPid(pid, stateDir)) say(`stopped ${name} (pid ${pid})`);
  }
  await rm(stateDir, { recursive: true, force: true });
  say(`removed ${stateDir}`);
}

if (import.meta.main) {
  const say: Log = (line) => void process.stdout.write(`[k8s] ${line}\n`);
  const command = process.argv[2] ?? 'help';
  try {
    if (command === 'up') {
      await cliUp(say, process.argv.includes('--node'));
      // The cluster runs detached; keep-alive sockets to it must not hold this command open.
      process.exit(0);
    }
    else if (command === 'down') await cliDown(say);
    else if (command === 'env') {
      const { state } = await readState();
      process.stdout.write(`export KUBECONFIG=${state.adminKubeconfig}\nexport FERRY_K8S_APISERVER=${state.apiserverUrl}\nexport FERRY_K8S_AUDIT_LOG=${state.auditLog}\n`);
    } else if (command === 'build') {
      const started = Date.now();
      const binaries = await ensureControlPlaneBinaries(say);
      const node = process.argv.includes('--node') ? await prepareNode(say) : undefined;
      for (const [name, path] of Object.entries({ ...binaries, ...node?.binaries })) if (typeof path === 'string') say(`${name}: ${path}`);
      if (node !== undefined) say(`images: ${node.images.pause.name} ${node.images.pause.archive}, ${node.images.busybox.name} ${node.images.busybox.archive}`);
      const cached = binaries.builtSeconds === undefined && node?.binaries.builtSeconds === undefined && node?.images.builtSeconds === undefined;
      say(`ready in ${seconds(Date.now() - started)}${cached ? ' (cached)' : ''}`);
    } else {
      process.stdout.write('usage: node scripts/k8s-cluster/cli.ts up [--node] | down | env | build [--node]\n');
      process.exitCode = command === 'help' ? 0 : 2;
    }
  } catch (error) {
    process.stderr.write(`[k8s] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
