// A real Kubernetes control plane on 127.0.0.1, without Docker (issue 5, ADR 0007): etcd →
// kube-apiserver (RBAC, service-account tokens, audit log) → kube-controller-manager (the real Job
// controller, raised client QPS and job-sync concurrency) → kube-scheduler → kwok with fake nodes
// (pods are scheduled and moved through their lifecycle by kwok's stages, no container runs).
// Binaries are built once from the Go module proxy into ~/.cache/ferry/k8s/ (binaries.ts).
//
// Opt-in, a real node (issue 10, ADR 0011; root, one per machine): `ferry-node-0` with containerd 2.3
// (Debian's runc and CNI plugins), kubelet, kube-proxy (iptables) and CoreDNS as host processes, so
// pods run for real from locally built images (node.ts, node-host.ts, images.ts). The API
// server then authorizes Node,RBAC, admits NodeRestriction and checks the kubelet's certificate;
// kwok nodes default to none.
//
// cli.ts runs it from the command line (`npm run k8s:up`, `k8s:down`, `k8s:build`). Tests import
// startCluster() instead (`realNode: true` for the node): the processes are children of
// the test and stop() ends them.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureControlPlaneBinaries, KUBERNETES_RELEASE, KWOK_VERSION, type ControlPlaneBinaries } from './binaries.ts';
import { NODE_IP, NODE_NAME, prepareNode, startRealNode, type PreparedNode, type RealNode } from './node.ts';
import { makeNodePki, makePki, writeKubeconfig, type ClientCertificate, type NodePki, type Pki } from './pki.ts';
import { call, startProcess, waitFor, type Log, type ManagedProcess, type Tls } from './processes.ts';
import { freePort } from '../lib/nats-server.ts';
import { AUDIT_POLICY, KWOK_NODE_ANNOTATION, nodeObject, schedulerConfig } from './control-plane-config.ts';

export { ensureControlPlaneBinaries, KUBERNETES_RELEASE, KWOK_NODE_ANNOTATION, KWOK_VERSION };

const REPO_ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
/** kwok's Stage objects: its kwokctl defaults plus Ferry's exit-code stage (see the file). */
export const KWOK_STAGES = join(REPO_ROOT, 'scripts', 'k8s-cluster', 'kwok-stages.yaml');
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_CLUSTER_IP = '10.96.0.1';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

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
