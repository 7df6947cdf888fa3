// A real node for the local control plane (issue 10, ADR 0011): containerd 2.x running pods with
// Debian's runc and CNI plugins, kubelet registering as `ferry-node-0`, kube-proxy (iptables) for
// Service ClusterIPs, CoreDNS for cluster.local, metrics-server for the HPA and kube-router's
// firewall for NetworkPolicies (ADR 0014), all host processes, all state under `<stateDir>/node`.
// node-host.ts changes the host (bridge, sysctls, iptables guard, cgroup root) and undoes it;
// node-config.ts renders the configuration files.
//
// Start: claim the host → containerd → import the local pause, busybox and NATS images → CoreDNS,
// kube-proxy, kubelet → node Ready, CoreDNS ready → local volumes → metrics-server (its APIService
// Available) and kube-router (healthy). Stop: kubelet first (it would restart pods), then
// `crictl rmp --all --force` (each sandbox stopped through CRI, so CNI DEL releases its address and
// portmap rules), then the rest, then the host cleanup.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../lib/nats-server.ts';
import { ensureNodeBinaries, nodeBinaryPaths, type NodeBinaries } from './binaries.ts';
import { ensureNodeImages, type NodeImages } from './images.ts';
import { claimHost, claimOf, cleanUpHost, prepareHost, recordPids, type HostClaim } from './node-host.ts';
import {
  clusterRoleBinding, CNI_BIN_DIR, cniConflist, containerdConfig, corednsClusterRole, corefile, crictlConfig, kubeletConfig, kubeProxyConfig, kubeRouterClusterRole,
  metricsServerObjects, nodeLayout,
  NODE_IP, NODE_NAME, OUTSIDE_IP, POD_CIDR, RUNC, type NodeLayout,
} from './node-config.ts';
import { APISERVER_KUBELET_CLIENT_USER, COREDNS_USER, KUBE_ROUTER_USER, METRICS_SERVER_USER, writeKubeconfig, type NodePki } from './pki.ts';
import { call, startProcess, stopPid, waitFor, type ApiAnswer, type Log, type ManagedProcess } from './processes.ts';

const run = promisify(execFile);

export { NODE_IP, NODE_NAME, OUTSIDE_IP, POD_CIDR };

/** The default StorageClass of the node's local volumes, and how many volumes it has. */
export const LOCAL_STORAGE_CLASS = 'local';
const LOCAL_VOLUMES = 4;

/** Debian packages the node uses, by a file each installs. */
const HOST_PACKAGES: Readonly<Record<string, string>> = {
  runc: RUNC,
  iptables: '/usr/sbin/iptables',
  conntrack: '/usr/sbin/conntrack',
  'containernetworking-plugins': join(CNI_BIN_DIR, 'bridge'),
  'busybox-static': '/bin/busybox',
  iproute2: '/usr/sbin/ip',
  gcc: '/usr/bin/gcc',
  'libc6-dev': '/usr/lib/x86_64-linux-gnu/libc.a',
};

export interface RealNodeParams {
  readonly stateDir: string;
  readonly logDir: string;
  readonly detached: boolean;
  readonly apiserverUrl: string;
  readonly caCert: string;
  readonly serviceCidr: string;
  readonly pki: NodePki;
  /** Requests to the API server as admin (RBAC for CoreDNS and the API server's kubelet client). */
  readonly api: (method: string, path: string, body?: unknown) => Promise<ApiAnswer>;
  readonly prepared: PreparedNode;
  readonly log: Log;
}

/** What a node needs before the clock starts: binaries, images, Debian packages. */
export interface PreparedNode {
  readonly binaries: NodeBinaries;
  readonly images: NodeImages;
}

export interface RealNode {
  readonly name: string;
  readonly nodeIp: string;
  readonly podCidr: string;
  /** CoreDNS's address (kubelet's clusterDNS): the node's bridge address, port 53. */
  readonly dnsAddress: string;
  readonly images: NodeImages;
  readonly binaries: NodeBinaries;
  readonly processes: readonly ManagedProcess[];
  /** Milliseconds from the node's start to each step. */
  readonly timings: Readonly<Record<string, number>>;
  /** Imports an OCI image archive into containerd's `k8s.io` namespace, where the kubelet finds it. */
  importImage(archive: string): Promise<void>;
  stop(): Promise<void>;
}

/** Installs the Debian packages the node needs when one is missing (root; apt-get is the ordinary client). */
async function ensureHostPackages(log: Log): Promise<void> {
  const missing = Object.entries(HOST_PACKAGES).filter(([, file]) => !existsSync(file)).map(([name]) => name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`the real node needs root and the Debian packages: ${missing.join(' ')}`);
  log(`installing Debian packages: ${missing.join(' ')}`);
  const apt = ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', ...missing];
  try {
    await run('apt-get', apt, { maxBuffer: 64 * 1024 * 1024 });
  } catch {
    await run('apt-get', ['update'], { maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', apt, { maxBuffer: 64 * 1024 * 1024 });
  }
}

/** Packages, binaries and images; cached after the first call. */
export async function prepareNode(log: Log): Promise<PreparedNode> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) throw new Error('the real node runs containers: it needs Linux and root');
  await ensureHostPackages(log);
  const binaries = await ensureNodeBinaries(log);
  const images = await ensureNodeImages(log);
  return { binaries, images };
}

/** overlayfs when the kernel mounts it on the state folder's file system, else the copying `native`. */
async function pickSnapshotter(layout: NodeLayout): Promise<string> {
  const probe = join(layout.dir, 'overlay-probe');
  const dir = (name: string): string => join(probe, name);
  try {
    for (const name of ['lower', 'upper', 'work', 'merged']) await mkdir(dir(name), { recursive: true });
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir('lower')},upperdir=${dir('upper')},workdir=${dir('work')}`, dir('merged')]);
    await run('umount', [dir('merged')]);
    return 'overlayfs';
  } catch {
    return 'native';
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
}

async function ensureCreated(api: RealNodeParams['api'], path: string, body: unknown): Promise<void> {
  const answer = await api('POST', path, body);
  if (answer.status !== 201 && answer.status !== 409) throw new Error(`POST ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/**
 * The node's storage, as an on-premises cluster without a provisioner offers it: a default
 * StorageClass `local` (no provisioner, bound when a pod is scheduled) and LOCAL_VOLUMES `local`
 * PersistentVolumes, each a folder under the node's state. Their capacity is nominal (a folder has
 * no quota); the kubelet applies a pod's fsGroup to them.
 */
async function createLocalVolumes(api: RealNodeParams['api'], layout: NodeLayout): Promise<void> {
  await ensureCreated(api, '/apis/storage.k8s.io/v1/storageclasses', {
    metadata: { name: LOCAL_STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Delete',
  });
  for (let index = 0; index < LOCAL_VOLUMES; index += 1) {
    const path = join(layout.dir, 'volumes', `pv-${index}`);
    await mkdir(path, { recursive: true });
    await ensureCreated(api, '/api/v1/persistentvolumes', {
      metadata: { name: `${NODE_NAME}-pv-${index}` },
      spec: {
        capacity: { storage: '50Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: LOCAL_STORAGE_CLASS,
        local: { path },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE_NAME] }] }] } },
      },
    });
  }
}

/**
 * metrics-server on the bridge address, aggregated by the API server as metrics.k8s.io: the HPA's
 * source of pod CPU. It scrapes the kubelet's /metrics/resource with its own client certificate,
 * trusting the kubelet's serving certificate by the cluster CA. Ready once metricsApiAvailable().
 */
async function startMetricsServer(params: RealNodeParams, layout: NodeLayout, env: NodeJS.ProcessEnv): Promise<ManagedProcess> {
  const { pki } = params;
  const { binaries } = params.prepared;
  const port = await freePort();
  const kubeconfig = join(layout.dir, 'metrics-server.kubeconfig');
  await writeKubeconfig(kubeconfig, { server: params.apiserverUrl, caCert: params.caCert, name: METRICS_SERVER_USER, client: pki.metricsServer });
  const caBundle = (await readFile(params.caCert)).toString('base64');
  for (const [path, body] of metricsServerObjects({ user: METRICS_SERVER_USER, port, caBundle })) await ensureCreated(params.api, path, body);
  return startProcess('metrics-server', binaries.metricsServer, [
    `--bind-address=${NODE_IP}`, `--secure-port=${port}`,
    `--tls-cert-file=${pki.metricsServing.cert}`, `--tls-private-key-file=${pki.metricsServing.key}`,
    `--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
    `--kubelet-certificate-authority=${params.caCert}`,
    `--kubelet-client-certificate=${pki.metricsServer.cert}`, `--kubelet-client-key=${pki.metricsServer.key}`,
    '--kubelet-preferred-address-types=InternalIP', '--kubelet-use-node-status-port',
    // The HPA reads a new sample every resolution; 15 s is the lowest upstream supports well.
    '--metric-resolution=15s',
    `--cert-dir=${join(layout.dir, 'metrics-server-certs')}`,
  ], params.logDir, params.detached, env);
}

/**
 * kube-router with only its firewall on (no routing, no service proxy, no CNI): it turns the
 * NetworkPolicies of pods on this node into iptables chains and ipsets, as a cluster's policy
 * engine would. Healthy once its /healthz answers (it has synced its informers by then).
 */
async function startKubeRouter(params: RealNodeParams, layout: NodeLayout, env: NodeJS.ProcessEnv): Promise<{ process: ManagedProcess; healthPort: number }> {
  const healthPort = await freePort();
  const kubeconfig = join(layout.dir, 'kube-router.kubeconfig');
  await writeKubeconfig(kubeconfig, { server: params.apiserverUrl, caCert: params.caCert, name: KUBE_ROUTER_USER, client: params.pki.kubeRouter });
  await ensureCreated(params.api, '/apis/rbac.authorization.k8s.io/v1/clusterroles', kubeRouterClusterRole('ferry:kube-router'));
  await ensureCreated(params.api, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', clusterRoleBinding('ferry:kube-router', 'ferry:kube-router', KUBE_ROUTER_USER));
  const firewall = startProcess('kube-router', params.prepared.binaries.kubeRouter, [
    `--kubeconfig=${kubeconfig}`, `--hostname-override=${NODE_NAME}`,
    '--run-firewall=true', '--run-router=false', '--run-service-proxy=false', '--run-loadbalancer=false', '--enable-cni=false',
    '--enable-ipv4=true', '--enable-ipv6=false',
    `--service-cluster-ip-range=${params.serviceCidr}`,
    `--health-port=${healthPort}`, '--metrics-port=0',
  ], params.logDir, params.detached, env);
  return { process: firewall, healthPort };
}

function metricsApiAvailable(api: RealNodeParams['api'], metricsServer: ManagedProcess): Promise<void> {
  return waitFor('APIService v1beta1.metrics.k8s.io Available', async () => {
    const { status, body } = await api('GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.metrics.k8s.io');
    const conditions = (body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
    return status === 200 && conditions.some((condition) => condition.type === 'Available' && condition.status === 'True');
  }, 120_000, metricsServer);
}

/** Starts containerd, CoreDNS, kube-proxy and kubelet against a running API server; see RealNode. */
export async function startRealNode(params: RealNodeParams): Promise<RealNode> {
  const { log, prepared, detached, logDir } = params;
  const { binaries, images } = prepared;
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (step: string): void => {
    timings[step] = Date.now() - started;
  };
  const layout = nodeLayout(params.stateDir);
  await mkdir(layout.dir, { recursive: true });
  let claim: HostClaim = await claimHost(layout.dir, detached, log);
  const processes: ManagedProcess[] = [];
  let stopped = false;
  // Once only: a second teardown would sweep the chains and bridge of whichever node came next.
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await tearDown(layout, claim, Object.fromEntries(processes.map((each) => [each.name, each.child.pid ?? 0])), binaries, log);
  };
  try {
    const snapshotter = await pickSnapshotter(layout);
    for (const dir of [layout.containerdRoot, layout.containerdState, layout.cniConfDir, layout.cniIpamDir, layout.kubeletRoot, layout.podLogsDir]) await mkdir(dir, { recursive: true });
    const [kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics, corednsReady] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const kubeconfig = (name: string): string => join(layout.dir, `${name}.kubeconfig`);
    await writeFile(layout.containerdConfig, containerdConfig(layout, { sandboxImage: images.pause.name, snapshotter }));
    await writeFile(join(layout.cniConfDir, '10-ferry.conflist'), cniConflist(layout, params.serviceCidr));
    await writeFile(layout.crictlConfig, crictlConfig(layout));
    // Pods with dnsPolicy Default get this file: the node's own DNS, nothing upstream.
    await writeFile(layout.resolvConf, `nameserver ${NODE_IP}\n`);
    await writeFile(layout.kubeletConfig, kubeletConfig(layout, { caCert: params.caCert, servingCert: params.pki.kubeletServing.cert, servingKey: params.pki.kubeletServing.key, ports: { port: kubeletPort, healthzPort: kubeletHealthz } }));
    await writeFile(layout.kubeProxyConfig, kubeProxyConfig({ kubeconfig: kubeconfig('kube-proxy'), healthzPort: proxyHealthz, metricsPort: proxyMetrics }));
    await writeFile(layout.corefile, corefile({ kubeconfig: kubeconfig('coredns'), readyPort: corednsReady }));
    const server = params.apiserverUrl;
    await writeKubeconfig(kubeconfig('kubelet'), { server, caCert: params.caCert, name: `system:node:${NODE_NAME}`, client: params.pki.kubeletClient });
    await writeKubeconfig(kubeconfig('kube-proxy'), { server, caCert: params.caCert, name: 'system:kube-proxy', client: params.pki.kubeProxy });
    await writeKubeconfig(kubeconfig('coredns'), { server, caCert: params.caCert, name: COREDNS_USER, client: params.pki.coredns });

    await prepareHost(params.serviceCidr, log);
    mark('host');

    // containerd finds containerd-shim-runc-v2 on its PATH; the CNI plugins call iptables.
    const env = { ...process.env, PATH: `${binaries.containerdBinDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
    const containerd = startProcess('containerd', binaries.containerd, ['--config', layout.containerdConfig, '--log-level', 'warn'], logDir, detached, env);
    processes.push(containerd);
    claim = await recordPids(claim, { containerd: containerd.child.pid ?? 0 });
    const ctr = (args: readonly string[]): Promise<{ stdout: string }> => run(binaries.ctr, ['--address', layout.containerdSocket, ...args], { maxBuffer: 16 * 1024 * 1024 });
    await waitFor('containerd', async () => existsSync(layout.containerdSocket) && (await ctr(['version'])).stdout.includes('Server'), 30_000, containerd);
    mark('containerd');
    const importImage = async (archive: string): Promise<void> => {
      await ctr(['--namespace', 'k8s.io', 'images', 'import', '--snapshotter', snapshotter, '--platform', 'linux/amd64', archive]);
    };
    for (const image of [images.pause, images.busybox, images.nats]) await importImage(image.archive);
    mark('images');

    await ensureCreated(params.api, '/apis/rbac.authorization.k8s.io/v1/clusterroles', corednsClusterRole('ferry:coredns'));
    await ensureCreated(params.api, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', clusterRoleBinding('ferry:coredns', 'ferry:coredns', COREDNS_USER));
    // logs, exec, port-forward: the API server's kubelet client may use the kubelet API (nodes/proxy, nodes/log, …).
    await ensureCreated(params.api, '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', clusterRoleBinding('ferry:kube-apiserver-kubelet-client', 'system:kubelet-api-admin', APISERVER_KUBELET_CLIENT_USER));

    const coredns = startProcess('coredns', binaries.coredns, ['-conf', layout.corefile], logDir, detached, env);
    processes.push(coredns);
    const kubeProxy = startProcess('kube-proxy', binaries.kubeProxy, [`--config=${layout.kubeProxyConfig}`], logDir, detached, env);
    processes.push(kubeProxy);
    const kubelet = startProcess('kubelet', binaries.kubelet, [
      `--config=${layout.kubeletConfig}`, `--kubeconfig=${kubeconfig('kubelet')}`,
      `--root-dir=${layout.kubeletRoot}`, `--cert-dir=${join(layout.kubeletRoot, 'pki')}`,
      `--hostname-override=${NODE_NAME}`, `--node-ip=${NODE_IP}`,
      '--node-labels=ferry.dev/node=real',
    ], logDir, detached, env);
    processes.push(kubelet);
    claim = await recordPids(claim, Object.fromEntries(processes.map((each) => [each.name, each.child.pid ?? 0])));

    await Promise.all([
      waitFor(`node ${NODE_NAME} Ready`, async () => {
        const { status, body } = await params.api('GET', `/api/v1/nodes/${NODE_NAME}`);
        const conditions = (body as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions ?? [];
        return status === 200 && conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
      }, 120_000, kubelet).then(() => mark('kubelet node Ready')),
      waitFor('CoreDNS /ready', async () => (await call(`http://127.0.0.1:${corednsReady}/ready`, 'GET', {})).status === 200, 60_000, coredns).then(() => mark('coredns')),
      waitFor('kube-proxy /healthz', async () => (await call(`http://127.0.0.1:${proxyHealthz}/healthz`, 'GET', {})).status === 200, 60_000, kubeProxy).then(() => mark('kube-proxy')),
    ]);
    await createLocalVolumes(params.api, layout);
    const metricsServer = await startMetricsServer(params, layout, env);
    processes.push(metricsServer);
    const kubeRouter = await startKubeRouter(params, layout, env);
    processes.push(kubeRouter.process);
    claim = await recordPids(claim, Object.fromEntries(processes.map((each) => [each.name, each.child.pid ?? 0])));
    await Promise.all([
      metricsApiAvailable(params.api, metricsServer).then(() => mark('metrics-server')),
      waitFor('kube-router /healthz', async () => (await call(`http://127.0.0.1:${kubeRouter.healthPort}/healthz`, 'GET', {})).status === 200, 60_000, kubeRouter.process)
        .then(() => mark('kube-router')),
    ]);
    mark('node');
    return { name: NODE_NAME, nodeIp: NODE_IP, podCidr: POD_CIDR, dnsAddress: NODE_IP, images, binaries, processes, timings, importImage, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Stops the node's processes by id and undoes its host changes. kubelet goes first (it would start
 * pods again), then every pod sandbox is stopped and removed through CRI while containerd still runs.
 */
async function tearDown(layout: NodeLayout, claim: HostClaim, pids: Readonly<Record<string, number>>, binaries: NodeBinaries, log: Log): Promise<void> {
  const marker = layout.dir;
  if (pids['kubelet'] !== undefined) await stopPid(pids['kubelet'], marker);
  if (pids['containerd'] !== undefined && existsSync(layout.containerdSocket)) {
    try {
      await run(binaries.crictl, ['--config', layout.crictlConfig, 'rmp', '--all', '--force'], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      log(`crictl rmp --all --force: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const name of ['kube-router', 'metrics-server', 'kube-proxy', 'coredns', 'containerd']) {
    const pid = pids[name];
    if (pid !== undefined) await stopPid(pid, marker);
  }
  await cleanUpHost(claim, binaries.kubeProxy, log);
}

/** The CLI's `down` for a detached node: the same teardown, from the pids in cluster.json. */
export async function stopRealNode(stateDir: string, pids: Readonly<Record<string, number>>, log: Log): Promise<void> {
  const layout = nodeLayout(stateDir);
  const claim = (await claimOf(layout.dir)) ?? { nodeDir: layout.dir, sysctls: {}, pids };
  await tearDown(layout, claim, pids, nodeBinaryPaths(), log);
}
