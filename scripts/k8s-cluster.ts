// A real Kubernetes control plane on 127.0.0.1, without Docker (issue 5, ADR 0007): etcd →
// kube-apiserver (RBAC, service-account tokens, audit log) → kube-controller-manager (the real Job
// controller, raised client QPS and job-sync concurrency) → kube-scheduler → kwok with fake nodes
// (pods are scheduled and moved through their lifecycle by kwok's stages, no container runs).
// Binaries are built once from the Go module proxy into ~/.cache/ferry/k8s/ (k8s-cluster/binaries.ts).
//
// Opt-in, a real node (issue 10, ADR 0011; root, one per machine): `ferry-node-0` with containerd 2.3
// (Debian's runc and CNI plugins), kubelet, kube-proxy (iptables) and CoreDNS as host processes, so
// pods run for real from locally built images (k8s-cluster/node.ts, node-host.ts, images.ts). The API
// server then authorizes Node,RBAC, admits NodeRestriction and checks the kubelet's certificate;
// kwok nodes default to none.
//
//   node scripts/k8s-cluster.ts up [--node]     builds what is missing, starts a cluster in the
//                                               background (state in .ferry/k8s), prints the
//                                               kubeconfig and timings; --node adds the real node
//   node scripts/k8s-cluster.ts env             prints `export KUBECONFIG=…` lines for the running cluster
//   node scripts/k8s-cluster.ts down            stops it (the node's pods, mounts, iptables chains and
//                                               bridge included) and removes its state
//   node scripts/k8s-cluster.ts build [--node]  only builds (or finds) the binaries (and the node's
//                                               binaries and images) and prints how long it took
//
// Tests import startCluster() instead (`realNode: true` for the node): the processes are children of
// the test and stop() ends them.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureControlPlaneBinaries, KUBERNETES_RELEASE, KWOK_VERSION, type ControlPlaneBinaries } from './k8s-cluster/binaries.ts';
import { NODE_IP, NODE_NAME, prepareNode, startRealNode, stopRealNode, type PreparedNode, type RealNode } from './k8s-cluster/node.ts';
import { makeNodePki, makePki, writeKubeconfig, type ClientCertificate, type NodePki, type Pki } from './k8s-cluster/pki.ts';
import { call, startProcess, stopPid, waitFor, type Log, type ManagedProcess, type Tls } from './k8s-cluster/processes.ts';
import { freePort } from './lib/nats-server.ts';

export { ensureControlPlaneBinaries, KUBERNETES_RELEASE, KWOK_VERSION };

const REPO_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** kwok's Stage objects: its kwokctl defaults plus Ferry's exit-code stage (see the file). */
export const KWOK_STAGES = join(REPO_ROOT, 'scripts', 'k8s-cluster', 'kwok-stages.yaml');
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_CLUSTER_IP = '10.96.0.1';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** Nodes kwok manages carry this annotation (its --manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

export interface ClusterOptions {
  /** State folder (certificates, kubeconfigs, etcd data, logs, audit log); default: a new temp dir. */
  readonly stateDir?: string;
  /** Fake nodes kwok manages (default 2, or 0 with realNode), named kwok-node-0 …; each advertises `pods` capacity. */
  readonly nodes?: number;
  /**
   * Adds the real node `ferry-node-0` (ADR 0011): containerd, kubelet, kube-proxy and CoreDNS run
   * pods for real. Needs root; only one at a time per machine. The API server then authorizes with
   * Node,RBAC, admits with NodeRestriction and verifies the kubelet's serving certificate.
   */
  readonly realNode?: boolean;
  readonly podsPerNode?: number;
  /** kube-controller-manager --concurrent-job-syncs (default 50; upstream 5). */
  readonly concurrentJobSyncs?: number;
  /** Client QPS/burst of kube-controller-manager and kube-scheduler (default 1000/2000; upstream 20/30). */
  readonly clientQps?: number;
  /** Processes outlive this one (the CLI's `up`); tests leave it false so stop() owns them. */
  readonly detached?: boolean;
  readonly log?: Log;
}

export interface ComponentTimings {
  readonly [component: string]: number;
}

export interface RunningCluster {
  readonly stateDir: string;
  readonly apiserverUrl: string;
  /** Admin kubeconfig (user ferry-admin, group system:masters). */
  readonly adminKubeconfig: string;
  readonly caCert: string;
  readonly admin: ClientCertificate;
  readonly auditLog: string;
  /** The kwok nodes' names (the real node is `node`). */
  readonly nodeNames: readonly string[];
  readonly binaries: ControlPlaneBinaries;
  /** The real node, when started with realNode. */
  readonly node?: RealNode;
  /** Milliseconds from start to each component ready, and `total`. */
  readonly timings: ComponentTimings;
  /** Process ids by component (the CLI's `down` uses them). */
  readonly pids: Readonly<Record<string, number>>;
  /** Ensures the ServiceAccount exists and writes a kubeconfig with a TokenRequest token for it. */
  serviceAccountKubeconfig(namespace: string, name: string, options?: { expirationSeconds?: number; file?: string }): Promise<string>;
  /** A request to the API server as admin; returns status and the parsed JSON (or text) body. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// configuration files

/** Records every request by a ServiceAccount outside kube-system at Metadata level, nothing else. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
# kube-controller-manager's controllers (--use-service-account-credentials) and other system accounts
- level: None
  userGroups: ["system:serviceaccounts:kube-system"]
# the subjects under test: Ferry's controller, runner, … (one line per request: verb, resource, user, code)
- level: Metadata
  userGroups: ["system:serviceaccounts"]
- level: None
`;

function schedulerConfig(kubeconfig: string, qps: number): string {
  return `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: ${JSON.stringify(kubeconfig)}
  qps: ${qps}
  burst: ${qps * 2}
leaderElection:
  leaderElect: false
`;
}

function nodeObject(name: string, pods: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok', 'node-role.kubernetes.io/agent': '' },
    },
    spec: {},
    status: {
      allocatable: { cpu: '64', memory: '256Gi', pods: String(pods), 'ephemeral-storage': '1Ti' },
      capacity: { cpu: '64', memory: '256Gi', pods: String(pods), 'ephemeral-storage': '1Ti' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', kubeletVersion: `${KUBERNETES_RELEASE}-kwok`, kubeProxyVersion: '', containerRuntimeVersion: 'kwok' },
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** Builds (or finds) the binaries, then starts the control plane and fake nodes; see RunningCluster. */
export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const log = options.log ?? (() => undefined);
  const binaries = await ensureControlPlaneBinaries(log);
  // Builds and packages before the clock starts, like the control plane's binaries.
  const preparedNode: PreparedNode | undefined = options.realNode === true ? await prepareNode(log) : undefined;
  const started = Date.now();
  const timings: Record<string, number> = {};
  const mark = (component: string): void => {
    timings[component] = Date.now() - started;
  };
  const stateDir = options.stateDir ?? (await mkdtemp(join(tmpdir(), 'ferry-k8s-')));
  const detached = options.detached ?? false;
  const nodeCount = options.nodes ?? (preparedNode === undefined ? 2 : 0);
  const qps = options.clientQps ?? 1000;
  await rm(stateDir, { recursive: true, force: true });
  const logDir = join(stateDir, 'logs');
  await mkdir(logDir, { recursive: true });

  const pki: Pki = await makePki(join(stateDir, 'pki'), SERVICE_CLUSTER_IP, preparedNode === undefined ? [] : [NODE_IP]);
  const nodePki: NodePki | undefined = preparedNode === undefined ? undefined : await makeNodePki(pki.dir, NODE_NAME, NODE_IP);
  mark('pki');
  const [etcdPort, etcdPeerPort, apiPort, kcmPort, schedulerPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const apiserverUrl = `https://127.0.0.1:${apiPort}`;
  const kubeconfig = (name: string): string => join(stateDir, `${name}.kubeconfig`);
  for (const name of Object.keys(pki.clients).filter((each) => each !== 'front-proxy')) {
    const client = pki.clients[name];
    if (client !== undefined) await writeKubeconfig(kubeconfig(name), { server: apiserverUrl, caCert: pki.caCert, name, client });
  }
  const auditPolicy = join(stateDir, 'audit-policy.yaml');
  const auditLog = join(stateDir, 'audit.log');
  await writeFile(auditPolicy, AUDIT_POLICY);
  await writeFile(join(stateDir, 'kube-scheduler.yaml'), schedulerConfig(kubeconfig('kube-scheduler'), qps));

  const processes: ManagedProcess[] = [];
  let node: RealNode | undefined;
  // Attached clusters die with their owner even when it never calls stop() (a crashed test worker);
  // a real node's host changes are then cleaned up by the next real node's start (node-host.ts).
  const killOnExit = (): void => {
    for (const managed of [...(node?.processes ?? []), ...processes]) if (!managed.exited()) managed.child.kill('SIGKILL');
  };
  if (!detached) process.on('exit', killOnExit);
  const stopAll = async (): Promise<void> => {
    process.off('exit', killOnExit);
    // the node first (its kubelet talks to the API server until it stops), then in reverse order:
    // kwok and the controllers before the API server, etcd last
    await node?.stop();
    for (const managed of [...processes].reverse()) await managed.stop();
  };
  const admin = pki.clients['admin'];
  const frontProxy = pki.clients['front-proxy'];
  if (admin === undefined || frontProxy === undefined) throw new Error('missing client certificates');
  const adminTls: Tls = { ca: await readFile(pki.caCert), cert: await readFile(admin.cert), key: await readFile(admin.key) };
  const api = (method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> =>
    call(`${apiserverUrl}${path}`, method, adminTls, body, method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');

  try {
    // etcd: one member, loopback only; --unsafe-no-fsync because the data is thrown away after the run.
    const etcd = startProcess('etcd', binaries.etcd, [
      '--name=ferry', `--data-dir=${join(stateDir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`, `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=ferry=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync', '--quota-backend-bytes=8589934592', '--log-level=warn',
    ], logDir, detached);
    processes.push(etcd);
    await waitFor('etcd', async () => (await call(`http://127.0.0.1:${etcdPort}/health`, 'GET', {})).status === 200, 30_000, etcd);
    mark('etcd');

    const apiserver = startProcess('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      // Without a node nothing dials the `kubernetes` Service, and 127.0.0.1 is no valid endpoint. With
      // one, pods reach the API server through that Service: it listens on every address and
      // advertises the node's bridge address as the Service's endpoint.
      ...(preparedNode === undefined
        ? ['--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', '--endpoint-reconciler-type=none']
        : ['--bind-address=0.0.0.0', `--advertise-address=${NODE_IP}`, '--endpoint-reconciler-type=lease']),
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${pki.serving.cert}`, `--tls-private-key-file=${pki.serving.key}`,
      `--client-ca-file=${pki.caCert}`,
      ...(nodePki === undefined
        ? ['--authorization-mode=RBAC']
        : [
            // a kubelet (system:node:<name>) may read and write what its own pods need, nothing else
            '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction',
            `--kubelet-client-certificate=${nodePki.apiserverKubeletClient.cert}`, `--kubelet-client-key=${nodePki.apiserverKubeletClient.key}`,
            `--kubelet-certificate-authority=${pki.caCert}`, '--kubelet-preferred-address-types=InternalIP',
          ]),
      '--anonymous-auth=false',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountPub}`, `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--audit-policy-file=${auditPolicy}`, `--audit-log-path=${auditLog}`, '--audit-log-format=json',
      // blocking: each event is on disk when the response is sent, so tests and the bench read it at once
      '--audit-log-mode=blocking', '--audit-log-maxsize=0',
      // front-proxy (aggregation layer) settings; without them every delegating component logs a missing CA bundle
      `--requestheader-client-ca-file=${pki.caCert}`, '--requestheader-allowed-names=front-proxy-client',
      '--requestheader-username-headers=X-Remote-User', '--requestheader-group-headers=X-Remote-Group', '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${frontProxy.cert}`, `--proxy-client-key-file=${frontProxy.key}`,
      '--allow-privileged=true', '--profiling=false',
      '--max-requests-inflight=1000', '--max-mutating-requests-inflight=500',
    ], logDir, detached);
    processes.push(apiserver);
    await waitFor('kube-apiserver /readyz', async () => (await call(`${apiserverUrl}/readyz`, 'GET', adminTls)).status === 200, 120_000, apiserver);
    mark('kube-apiserver');

    const kcm = startProcess('kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfig('kube-controller-manager')}`,
      `--authentication-kubeconfig=${kubeconfig('kube-controller-manager')}`, `--authorization-kubeconfig=${kubeconfig('kube-controller-manager')}`,
      '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, `--cert-dir=${join(stateDir, 'kcm-certs')}`,
      '--leader-elect=false', '--use-service-account-credentials=true',
      `--service-account-private-key-file=${pki.serviceAccountKey}`, `--root-ca-file=${pki.caCert}`,
      `--cluster-signing-cert-file=${pki.caCert}`, `--cluster-signing-key-file=${pki.caKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      `--kube-api-qps=${qps}`, `--kube-api-burst=${qps * 2}`,
      `--concurrent-job-syncs=${options.concurrentJobSyncs ?? 50}`, '--concurrent-gc-syncs=50',
      // its default, /usr/libexec/kubernetes/kubelet-plugins/volume/exec, would be created outside the state
      `--flex-volume-plugin-dir=${join(stateDir, 'kcm-flexvolume')}`,
    ], logDir, detached);
    processes.push(kcm);
    const scheduler = startProcess('kube-scheduler', binaries.kubeScheduler, [
      `--config=${join(stateDir, 'kube-scheduler.yaml')}`,
      `--authentication-kubeconfig=${kubeconfig('kube-scheduler')}`, `--authorization-kubeconfig=${kubeconfig('kube-scheduler')}`,
      '--bind-address=127.0.0.1', `--secure-port=${schedulerPort}`, `--cert-dir=${join(stateDir, 'scheduler-certs')}`,
    ], logDir, detached);
    processes.push(scheduler);

    // Fake nodes, then kwok to own them (node-initialize makes them Ready, heartbeats keep them so).
    const podsPerNode = options.podsPerNode ?? 1000;
    const nodeNames = Array.from({ length: nodeCount }, (_, index) => `kwok-node-${index}`);
    for (const name of nodeNames) {
      const created = await api('POST', '/api/v1/nodes', nodeObject(name, podsPerNode));
      if (created.status !== 201 && created.status !== 409) throw new Error(`creating node ${name}: ${created.status} ${JSON.stringify(created.body)}`);
    }
    const kwok = startProcess('kwok', binaries.kwok, [
      `--kubeconfig=${kubeconfig('kwok')}`, `--config=${KWOK_STAGES}`,
      '--manage-all-nodes=false', `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      '--cidr=10.244.0.0/16', '--node-ip=127.0.0.1', '--node-lease-duration-seconds=40',
    ], logDir, detached);
    processes.push(kwok);

    await Promise.all([
      waitFor('kube-controller-manager /healthz', async () => (await call(`https://127.0.0.1:${kcmPort}/healthz`, 'GET', { insecure: true })).status === 200, 120_000, kcm).then(() => mark('kube-controller-manager')),
      waitFor('kube-scheduler /healthz', async () => (await call(`https://127.0.0.1:${schedulerPort}/healthz`, 'GET', { insecure: true })).status === 200, 120_000, scheduler).then(() => mark('kube-scheduler')),
      waitFor('kwok nodes Ready', async () => {
        const { status, body } = await api('GET', '/api/v1/nodes');
        if (status !== 200) return false;
        const items = (body as { items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }).items;
        const ready = items.filter((node) => node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True'));
        return nodeNames.every((name) => ready.some((node) => node.metadata.name === name));
      }, 120_000, kwok).then(() => mark('kwok nodes')),
      // Pods need their namespace's ServiceAccount (admission), made by the serviceaccount controller.
      waitFor('ServiceAccount default/default', async () => (await api('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200, 120_000, kcm),
    ]);
    if (preparedNode !== undefined && nodePki !== undefined) {
      const nodeStarted = Date.now() - started;
      node = await startRealNode({ stateDir, logDir, detached, apiserverUrl, caCert: pki.caCert, serviceCidr: SERVICE_CIDR, pki: nodePki, api, prepared: preparedNode, log });
      for (const [step, ms] of Object.entries(node.timings)) timings[`node ${step}`] = nodeStarted + ms;
    }
    mark('total');

    const pids: Record<string, number> = {};
    for (const managed of processes) if (managed.child.pid !== undefined) pids[managed.name] = managed.child.pid;

    const cluster: RunningCluster = {
      stateDir,
      apiserverUrl,
      adminKubeconfig: kubeconfig('admin'),
      caCert: pki.caCert,
      admin,
      auditLog,
      nodeNames,
      binaries,
      ...(node === undefined ? {} : { node }),
      timings,
      pids,
      api,
      async serviceAccountKubeconfig(namespace, name, saOptions = {}) {
        const path = `/api/v1/namespaces/${namespace}/serviceaccounts`;
        const ns = await api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
        if (ns.status !== 201 && ns.status !== 409) throw new Error(`creating namespace ${namespace}: ${ns.status} ${JSON.stringify(ns.body)}`);
        const sa = await api('POST', path, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
        if (sa.status !== 201 && sa.status !== 409) throw new Error(`creating ServiceAccount ${namespace}/${name}: ${sa.status} ${JSON.stringify(sa.body)}`);
        const token = await api('POST', `${path}/${name}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: saOptions.expirationSeconds ?? 86_400 },
        });
        const value = (token.body as { status?: { token?: string } }).status?.token;
        if (token.status !== 201 || value === undefined) throw new Error(`TokenRequest for ${namespace}/${name}: ${token.status} ${JSON.stringify(token.body)}`);
        const file = saOptions.file ?? join(stateDir, `sa-${namespace}-${name}.kubeconfig`);
        await writeKubeconfig(file, { server: apiserverUrl, caCert: pki.caCert, name: `system:serviceaccount:${namespace}:${name}`, token: value, namespace });
        return file;
      },
      async stop() {
        await stopAll();
        if (options.stateDir === undefined) await rm(stateDir, { recursive: true, force: true });
      },
    };
    return cluster;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

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
  if (existsSync(join(stateDir, 'cluster.json'))) throw new Error(`a cluster is already up (state in ${stateDir}); run \`node scripts/k8s-cluster.ts down\` first`);
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
  if (!existsSync(file)) throw new Error(`no cluster is up (no ${file}); run \`node scripts/k8s-cluster.ts up\``);
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
      process.stdout.write('usage: node scripts/k8s-cluster.ts up [--node] | down | env | build [--node]\n');
      process.exitCode = command === 'help' ? 0 : 2;
    }
  } catch (error) {
    process.stderr.write(`[k8s] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
