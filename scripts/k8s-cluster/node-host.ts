// What the real node changes on the host, and how all of it is undone (ADR 0011). The node owns a
// claim file in /run (gone on reboot, like everything it records): the state folder, the pids of its
// components, the process that owns them when they are its children, and the sysctls as they were. A
// second node is refused while the first one lives; a claim whose owner died (a test worker killed
// by a signal, which runs no exit handler) or whose processes all died is cleaned up first.
//
// Changes, each undone by cleanUpHost():
//   sysctls         ip_forward and bridge-nf-call-ip(6)tables on; kubelet's kernel defaults
//                   (vm.overcommit_memory, kernel.panic, …) — all restored to the recorded values
//   bridge ferry0   10.244.0.1/24 plus a route for the Service range, deleted with the bridge
//   iptables        FERRY-NODE-FORWARD (packets from the bridge may leave only through the bridge),
//                   kube-proxy's KUBE-* chains, kubelet's KUBE-KUBELET-CANARY, portmap's CNI-*
//   cgroups         /ferry-node in every v1 hierarchy (kubelet's cgroupRoot): processes killed, removed
//   mounts          everything mounted under the node's folder (container rootfs, shm, netns, volumes)
//   fixed paths     kubelet's symlinks in /var/log/containers and its device-plugin socket in
//                   /var/lib/kubelet/device-plugins; containerd's CNI result cache in /var/lib/cni/results
//                   (neither is configurable); each folder is removed once empty
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, readlink, rm, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { processTable } from '../lib/process-table.ts';
import { aliveWith, type Log } from './processes.ts';
import { BRIDGE, CGROUP_ROOT, NODE_IP, OUTSIDE_IP, POD_CIDR } from './node-config.ts';

const run = promisify(execFile);

const CLAIM = '/run/ferry-k8s-node.json';
const GUARD_CHAIN = 'FERRY-NODE-FORWARD';
/** Chains the node's components create: Ferry's guard, kube-proxy's, kubelet's and kube-router's, CNI portmap's. */
const CHAIN_PREFIXES = ['FERRY-NODE-', 'KUBE-', 'CNI-'];
/** ipsets kube-router's firewall creates (pod selectors' addresses, and its staging sets). */
export const IPSET_PREFIXES = ['KUBE-SRC-', 'KUBE-DST-', 'TMP-'];
const KUBELET_LOG_LINKS = '/var/log/containers';
/** kubelet's device manager socket: a constant of the device-plugin API, not under --root-dir. */
const KUBELET_DEVICE_PLUGINS = '/var/lib/kubelet/device-plugins';
/** libcni's result cache, which containerd does not move: one file per sandbox and network. */
const CNI_RESULTS = '/var/lib/cni/results';

/** Set by the node (first value) or by kubelet and kube-proxy at start; each is restored at cleanup. */
const SYSCTLS: Readonly<Record<string, string | undefined>> = {
  'net/ipv4/ip_forward': '1',
  'net/bridge/bridge-nf-call-iptables': '1',
  'net/bridge/bridge-nf-call-ip6tables': '1',
  // kubelet (protectKernelDefaults: false) sets these five; kube-proxy may set route_localnet.
  'vm/overcommit_memory': undefined,
  'vm/panic_on_oom': undefined,
  'kernel/panic': undefined,
  'kernel/panic_on_oops': undefined,
  'kernel/keys/root_maxkeys': undefined,
  'kernel/keys/root_maxbytes': undefined,
  'net/ipv4/conf/all/route_localnet': undefined,
};

export interface HostClaim {
  /** The node's own folder (`<stateDir>/node`): every process, mount and file of the node names it. */
  readonly nodeDir: string;
  /** The process whose children the components are (tests), as pid and start time; none when detached. */
  readonly owner?: { readonly pid: number; readonly startTime: string };
  readonly sysctls: Readonly<Record<string, string>>;
  readonly pids: Readonly<Record<string, number>>;
}

async function sh(command: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run(command, [...args], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The same, ignoring failure: cleanup removes what is there and goes on. */
async function tryRun(command: string, args: readonly string[]): Promise<boolean> {
  try {
    await sh(command, args);
    return true;
  } catch {
    return false;
  }
}

async function readClaim(): Promise<HostClaim | undefined> {
  try {
    return JSON.parse(await readFile(CLAIM, 'utf8')) as HostClaim;
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, so a reused pid does not pass for it. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // the command name (field 2) may hold spaces: count from the last ')'
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

async function claimAlive(claim: HostClaim): Promise<boolean> {
  if (claim.owner !== undefined && (await startTime(claim.owner.pid)) !== claim.owner.startTime) return false;
  return Object.values(claim.pids).some((pid) => aliveWith(pid, claim.nodeDir));
}

/**
 * Takes the host for a node in `nodeDir`: refuses while another node's processes live, cleans up
 * after a dead one, records the sysctls before anything changes them.
 */
export async function claimHost(nodeDir: string, detached: boolean, log: Log): Promise<HostClaim> {
  const previous = await readClaim();
  if (previous !== undefined) {
    if (await claimAlive(previous)) throw new Error(`a real node is already running (state in ${previous.nodeDir}, claim ${CLAIM}); stop it first (\`npm run k8s:down\`)`);
    log(`cleaning up after a real node that was not stopped (state in ${previous.nodeDir})`);
    await cleanUpHost(previous, undefined, log);
  }
  if (await tryRun('ip', ['link', 'show', BRIDGE])) throw new Error(`bridge ${BRIDGE} exists but no node claims it (${CLAIM}): delete it (ip link del ${BRIDGE}) if nothing else uses it`);
  const sysctls: Record<string, string> = {};
  for (const key of Object.keys(SYSCTLS)) {
    try {
      sysctls[key] = (await readFile(`/proc/sys/${key}`, 'utf8')).trim();
    } catch {
      // not on this kernel: nothing to restore
    }
  }
  const ownerStart = detached ? undefined : await startTime(process.pid);
  const claim: HostClaim = { nodeDir, ...(ownerStart === undefined ? {} : { owner: { pid: process.pid, startTime: ownerStart } }), sysctls, pids: {} };
  await writeFile(CLAIM, JSON.stringify(claim, null, 2));
  return claim;
}

/** Records the node's component pids in the claim (what a later start checks for life). */
export async function recordPids(claim: HostClaim, pids: Readonly<Record<string, number>>): Promise<HostClaim> {
  const updated = { ...claim, pids: { ...claim.pids, ...pids } };
  await writeFile(CLAIM, JSON.stringify(updated, null, 2));
  return updated;
}

/** The v1 hierarchies (and the unified one of hybrid mode) mounted on this host. */
async function cgroupMounts(): Promise<string[]> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n');
  return mounts
    .map((line) => line.split(' '))
    .filter((fields) => {
      const separator = fields.indexOf('-');
      return separator > 0 && (fields[separator + 1] === 'cgroup' || fields[separator + 1] === 'cgroup2');
    })
    .map((fields) => unescapeMountPath(fields[4] ?? ''))
    .filter((path) => path !== '');
}

const unescapeMountPath = (path: string): string => path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** Network, forwarding guard and cgroup root for the node; undone by cleanUpHost(). */
export async function prepareHost(serviceCidr: string, log: Log): Promise<void> {
  for (const [key, value] of Object.entries(SYSCTLS)) if (value !== undefined) await writeFile(`/proc/sys/${key}`, value);
  await sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${NODE_IP}/${POD_CIDR.split('/')[1] ?? '24'}`, 'dev', BRIDGE]);
  await sh('ip', ['addr', 'add', `${OUTSIDE_IP}/32`, 'dev', BRIDGE]);
  await sh('ip', ['link', 'set', BRIDGE, 'up']);
  // The host reaches ClusterIPs through the bridge (kube-proxy DNATs them in OUTPUT), never eth0.
  await sh('ip', ['route', 'add', serviceCidr, 'dev', BRIDGE, 'src', NODE_IP]);
  await sh('iptables', ['-w', '-N', GUARD_CHAIN]);
  await sh('iptables', ['-w', '-A', GUARD_CHAIN, '-i', BRIDGE, '!', '-o', BRIDGE, '-m', 'comment', '--comment', 'ferry: pod traffic stays on this machine', '-j', 'DROP']);
  await sh('iptables', ['-w', '-I', 'FORWARD', '1', '-j', GUARD_CHAIN]);
  for (const mount of await cgroupMounts()) {
    const root = join(mount, CGROUP_ROOT);
    await mkdir(root, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes: give it its parent's.
    for (const file of ['cpuset.cpus', 'cpuset.mems']) if (existsSync(join(mount, file))) await copyFile(join(mount, file), join(root, file));
  }
  log(`host: bridge ${BRIDGE} ${NODE_IP} (and ${OUTSIDE_IP}), route ${serviceCidr}, ip_forward on, guard chain ${GUARD_CHAIN}, cgroup root /${CGROUP_ROOT}`);
}

/** Pids of processes whose command line names `marker` (the node's components and containerd's shims). */
function processesNaming(marker: string): number[] {
  return processTable()
    .filter((entry) => entry.pid !== process.pid && entry.argv.join('\0').includes(marker))
    .map((entry) => entry.pid);
}

async function killAndWait(pids: readonly number[], waitMs = 5_000): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + waitMs;
  while (pids.some((pid) => existsSync(`/proc/${pid}/stat`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Every folder under `dir`, deepest first. */
function foldersBelow(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(at, entry.name));
    }
    found.push(at);
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

async function removeCgroups(log: Log): Promise<void> {
  const roots = (await cgroupMounts()).map((mount) => join(mount, CGROUP_ROOT)).filter((root) => existsSync(root));
  const pids = new Set<number>();
  for (const root of roots) {
    for (const folder of foldersBelow(root)) {
      const procs = await readFile(join(folder, 'cgroup.procs'), 'utf8').catch(() => '');
      for (const line of procs.split('\n')) if (line !== '') pids.add(Number(line));
    }
  }
  if (pids.size > 0) log(`cleanup: killing ${pids.size} container process(es) left in /${CGROUP_ROOT}`);
  await killAndWait([...pids]);
  let left = 0;
  for (const root of roots) {
    for (const folder of foldersBelow(root)) {
      await rmdir(folder).catch(() => {
        left += 1;
      });
    }
  }
  if (left > 0) log(`cleanup: ${left} cgroup folder(s) under /${CGROUP_ROOT} could not be removed`);
}

async function unmountBelow(dir: string, log: Log): Promise<void> {
  const prefix = `${dir}/`;
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .map((line) => unescapeMountPath(line.split(' ')[4] ?? ''))
    .filter((path) => path.startsWith(prefix) || path === dir);
  // Deepest first; a lazy unmount of a parent takes whatever is still below it.
  const ordered = [...new Set(mounts)].sort((a, b) => b.length - a.length);
  for (const path of ordered) await tryRun('umount', ['-l', path]);
  if (ordered.length > 0) log(`cleanup: unmounted ${ordered.length} mount(s) under ${dir}`);
}

/** Deletes the chains named by CHAIN_PREFIXES and every rule jumping to them, in every table, v4 and v6. */
async function removeChains(log: Log): Promise<void> {
  let removed = 0;
  const ours = (chain: string): boolean => CHAIN_PREFIXES.some((prefix) => chain.startsWith(prefix));
  for (const command of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      let listing: string;
      try {
        listing = await sh(command, ['-w', '-t', table, '-S']);
      } catch {
        continue;
      }
      const chains = [...listing.matchAll(/^-[NP] (\S+)/gm)].map((match) => match[1] ?? '');
      // Jumps to our chains from the others (a rule number is its place among the chain's -A lines).
      for (const chain of chains.filter((each) => !ours(each))) {
        const rules = (await sh(command, ['-w', '-t', table, '-S', chain])).split('\n').filter((line) => line.startsWith('-A '));
        const numbers = rules.flatMap((rule, index) => (ours(/ -[jg] (\S+)/.exec(rule)?.[1] ?? '') ? [index + 1] : []));
        for (const number of numbers.reverse()) if (await tryRun(command, ['-w', '-t', table, '-D', chain, String(number)])) removed += 1;
      }
      const mine = chains.filter(ours);
      for (const chain of mine) await tryRun(command, ['-w', '-t', table, '-F', chain]);
      for (const chain of mine) if (await tryRun(command, ['-w', '-t', table, '-X', chain])) removed += 1;
    }
  }
  if (removed > 0) log(`cleanup: removed ${removed} iptables chain(s) and jump rule(s)`);
}

/** kube-router's ipsets (its NetworkPolicy chains, which used them, are gone by now). */
async function removeIpsets(log: Log): Promise<void> {
  const names = await sh('ipset', ['list', '-n']).catch(() => '');
  const ours = names.split('\n').filter((name) => IPSET_PREFIXES.some((prefix) => name.startsWith(prefix)));
  let removed = 0;
  for (const name of ours) if (await tryRun('ipset', ['destroy', name])) removed += 1;
  if (removed > 0) log(`cleanup: destroyed ${removed} ipset(s)`);
}

/** Removes what the node left at paths it cannot move, then each folder if nothing else is in it. */
async function removeFixedPathFiles(nodeDir: string): Promise<void> {
  if (existsSync(KUBELET_LOG_LINKS)) {
    for (const entry of await readdir(KUBELET_LOG_LINKS)) {
      const target = await readlink(join(KUBELET_LOG_LINKS, entry)).catch(() => '');
      if (target.startsWith(`${nodeDir}/`)) await unlink(join(KUBELET_LOG_LINKS, entry)).catch(() => undefined);
    }
  }
  await rm(join(KUBELET_DEVICE_PLUGINS, 'kubelet.sock'), { force: true });
  // The cache of a sandbox CRI removed is gone already; what a killed node left is named after the
  // network (ferry-…) or containerd's loopback (cni-loopback-…).
  if (existsSync(CNI_RESULTS)) {
    for (const entry of await readdir(CNI_RESULTS)) if (entry.startsWith('ferry-') || entry.startsWith('cni-loopback-')) await rm(join(CNI_RESULTS, entry), { force: true });
  }
  for (const dir of [KUBELET_LOG_LINKS, KUBELET_DEVICE_PLUGINS, '/var/lib/kubelet', CNI_RESULTS, '/var/lib/cni']) await rmdir(dir).catch(() => undefined);
}

/**
 * containerd's shims keep their sockets in /run/containerd/s (a constant of its shim package). Each
 * removes its own on exit; a killed one cannot. A socket file no process has bound (absent from
 * /proc/net/unix) is dead whoever made it.
 */
async function removeDeadShimSockets(): Promise<void> {
  const dir = '/run/containerd/s';
  if (!existsSync(dir)) return;
  const bound = await readFile('/proc/net/unix', 'utf8');
  for (const entry of await readdir(dir)) if (!bound.includes(join(dir, entry))) await rm(join(dir, entry), { force: true });
  for (const folder of [dir, '/run/containerd']) await rmdir(folder).catch(() => undefined);
}

/**
 * Undoes everything the node did to the host, whatever state it was left in: processes naming the
 * node's folder (components, shims), container processes in the cgroup root, mounts, iptables chains
 * (`kubeProxy --cleanup` first, when given), the bridge, sysctls, kubelet's log links, the claim.
 */
export async function cleanUpHost(claim: HostClaim, kubeProxy: string | undefined, log: Log): Promise<void> {
  const leftovers = processesNaming(claim.nodeDir);
  if (leftovers.length > 0) log(`cleanup: killing ${leftovers.length} leftover node process(es) (${leftovers.join(', ')})`);
  await killAndWait(leftovers);
  await removeCgroups(log);
  await unmountBelow(claim.nodeDir, log);
  if (kubeProxy !== undefined) await tryRun(kubeProxy, ['--cleanup']);
  await removeChains(log);
  await removeIpsets(log);
  await tryRun('ip', ['link', 'del', BRIDGE]);
  for (const [key, value] of Object.entries(claim.sysctls)) {
    const now = await readFile(`/proc/sys/${key}`, 'utf8').catch(() => undefined);
    if (now !== undefined && now.trim() !== value) await writeFile(`/proc/sys/${key}`, value).catch(() => log(`cleanup: could not restore ${key}=${value}`));
  }
  await removeFixedPathFiles(claim.nodeDir);
  await removeDeadShimSockets();
  await rm(CLAIM, { force: true });
}

/** The claim of the node in `nodeDir`, if it is the one on this host (the CLI's `down`). */
export async function claimOf(nodeDir: string): Promise<HostClaim | undefined> {
  const claim = await readClaim();
  return claim?.nodeDir === nodeDir ? claim : undefined;
}
