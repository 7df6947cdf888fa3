// What a real node may change on the host, read before a run and after stop(): the two must match.
// Only the node's own marks are read (names and prefixes it uses), so other work on the machine
// (another suite, a build) does not make the comparison fail.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { IPSET_PREFIXES } from '../../../scripts/k8s-cluster/node-host.ts';
import { processTable } from '../../../scripts/lib/process-table.ts';

const run = promisify(execFile);

const CHAIN_PREFIXES = /^(KUBE-|CNI-|FERRY-)/;
const SYSCTLS = ['net/ipv4/ip_forward', 'net/bridge/bridge-nf-call-iptables', 'vm/overcommit_memory', 'kernel/panic', 'kernel/panic_on_oops', 'vm/panic_on_oom', 'net/ipv4/conf/all/route_localnet'];

export interface HostState {
  /** `table chain` for every chain with a node prefix, IPv4 and IPv6. */
  readonly chains: readonly string[];
  /** kube-router's ipsets. */
  readonly ipsets: readonly string[];
  /** The bridge and veth interfaces. */
  readonly links: readonly string[];
  /** Network namespaces the host can name (ip netns) and mounts of type nsfs. */
  readonly netns: readonly string[];
  /** Mount points under any `ferry-k8s-` state folder or naming the node. */
  readonly mounts: readonly string[];
  readonly sysctls: Readonly<Record<string, string>>;
  /** Whether kubelet's cgroup root is still there, per hierarchy. */
  readonly cgroups: readonly string[];
  /** Processes whose command line names a ferry-k8s state folder's node/ (components, shims). */
  readonly nodeProcesses: readonly string[];
  readonly claim: boolean;
}

async function chains(): Promise<string[]> {
  const found: string[] = [];
  for (const command of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      const { stdout } = await run(command, ['-w', '-t', table, '-S']).catch(() => ({ stdout: '' }));
      for (const match of stdout.matchAll(/^-N (\S+)/gm)) if (CHAIN_PREFIXES.test(match[1] ?? '')) found.push(`${command} ${table} ${match[1]}`);
    }
  }
  return found.sort();
}

async function ipsets(): Promise<string[]> {
  const { stdout } = await run('ipset', ['list', '-n']).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter((name) => IPSET_PREFIXES.some((prefix) => name.startsWith(prefix))).sort();
}

export async function readHostState(): Promise<HostState> {
  const { stdout: linkList } = await run('ip', ['-o', 'link', 'show']);
  const links = linkList
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter((name) => name === 'ferry0' || name.startsWith('veth'));
  const { stdout: netnsList } = await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }));
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const mountPoints = mountinfo.map((line) => line.split(' ')).filter((fields) => fields.length > 4);
  const nsfs = mountPoints.filter((fields) => fields[fields.indexOf('-') + 1] === 'nsfs').map((fields) => fields[4] ?? '');
  const mounts = mountPoints.map((fields) => fields[4] ?? '').filter((path) => path.includes('/ferry-k8s-') || path.includes('ferry-node'));
  const sysctls = Object.fromEntries(SYSCTLS.filter((key) => existsSync(`/proc/sys/${key}`)).map((key) => [key, readFileSync(`/proc/sys/${key}`, 'utf8').trim()]));
  const cgroups = readdirSync('/sys/fs/cgroup').filter((hierarchy) => existsSync(`/sys/fs/cgroup/${hierarchy}/ferry-node`));
  const nodeProcesses = processTable()
    .map((entry) => `${entry.pid} ${entry.argv.join(' ').slice(0, 120)}`)
    .filter((line) => /ferry-k8s-[^/ ]+\/node\//.test(line));
  return {
    chains: await chains(),
    ipsets: await ipsets(),
    links: links.sort(),
    netns: [...netnsList.split('\n').filter((line) => line !== ''), ...nsfs].sort(),
    mounts: mounts.sort(),
    sysctls,
    cgroups,
    nodeProcesses,
    claim: existsSync('/run/ferry-k8s-node.json'),
  };
}
