// Certificates and keys for the local control plane, made with the openssl command line (OpenSSL
// 3.0+: `req -x509 -CA` signs in one step). ECDSA P-256 keys for TLS and client certificates (fast to
// generate), an RSA 2048 key pair for service-account tokens (RS256, what every client expects).
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly serving: ClientCertificate;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  readonly clients: Readonly<Record<string, ClientCertificate>>;
}

/** Client identities: name → [CN (user), O (group) or undefined]. */
export const CLIENTS: Readonly<Record<string, readonly [string, string | undefined]>> = {
  admin: ['ferry-admin', 'system:masters'],
  'kube-controller-manager': ['system:kube-controller-manager', undefined],
  'kube-scheduler': ['system:kube-scheduler', undefined],
  // kwok writes node and pod status for every fake node; it is the harness, not a subject under test.
  kwok: ['kwok', 'system:masters'],
  // kube-apiserver → aggregated API servers (--proxy-client-*), trusted through --requestheader-*.
  'front-proxy': ['front-proxy-client', undefined],
};

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', [...args]);
  } catch (error) {
    const { code } = error as { code?: string };
    if (code === 'ENOENT') throw new Error('openssl is needed to make the local cluster\'s certificates (Debian: apt-get install -y openssl)');
    throw error;
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

const CLIENT_AUTH = ['keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=clientAuth'];

/** Makes `<name>.key` and `<name>.crt` in `dir`, signed by the CA there (ca.crt, ca.key). */
async function sign(dir: string, name: string, subject: string, extensions: readonly string[]): Promise<ClientCertificate> {
  const path = (file: string): string => join(dir, file);
  await openssl(['req', '-x509', ...EC, '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-keyout', path(`${name}.key`), '-out', path(`${name}.crt`),
    '-days', '30', '-subj', subject, '-addext', 'basicConstraints=critical,CA:FALSE', ...extensions.flatMap((extension) => ['-addext', extension])]);
  return { cert: path(`${name}.crt`), key: path(`${name}.key`) };
}

/** `extraIps`: more addresses the API server's certificate names (a real node's bridge address). */
export async function makePki(dir: string, serviceClusterIp: string, extraIps: readonly string[] = []): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const path = (name: string): string => join(dir, name);
  await openssl(['req', '-x509', ...EC, '-keyout', path('ca.key'), '-out', path('ca.crt'), '-days', '30', '-subj', '/CN=ferry-local-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  const serving = await sign(dir, 'apiserver', '/CN=kube-apiserver', [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    `subjectAltName=IP:127.0.0.1,DNS:localhost,IP:${serviceClusterIp},${extraIps.map((ip) => `IP:${ip},`).join('')}DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
  ]);
  const clients: Record<string, ClientCertificate> = {};
  await Promise.all(
    Object.entries(CLIENTS).map(async ([name, [user, group]]) => {
      clients[name] = await sign(dir, `client-${name}`, `/CN=${user}${group === undefined ? '' : `/O=${group}`}`, CLIENT_AUTH);
    }),
  );
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', path('sa.key')]);
  await openssl(['pkey', '-in', path('sa.key'), '-pubout', '-out', path('sa.pub')]);
  return { dir, caCert: path('ca.crt'), caKey: path('ca.key'), serving, serviceAccountKey: path('sa.key'), serviceAccountPub: path('sa.pub'), clients };
}

/** The real node's identities (ADR 0011), signed by the cluster's CA. */
export interface NodePki {
  /** kubelet → API server: user `system:node:<name>`, group `system:nodes` (Node authorizer, NodeRestriction). */
  readonly kubeletClient: ClientCertificate;
  /** The kubelet's own HTTPS API (logs, exec), for the node's name and address. */
  readonly kubeletServing: ClientCertificate;
  /** API server → kubelet (--kubelet-client-certificate): user kube-apiserver-kubelet-client. */
  readonly apiserverKubeletClient: ClientCertificate;
  /** kube-proxy: user system:kube-proxy, which the default ClusterRoleBinding system:node-proxier names. */
  readonly kubeProxy: ClientCertificate;
  /** CoreDNS reading Services and EndpointSlices: user ferry-coredns (a ClusterRole the node setup binds). */
  readonly coredns: ClientCertificate;
  /** metrics-server → API server and kubelets: user ferry-metrics-server. */
  readonly metricsServer: ClientCertificate;
  /** metrics-server's HTTPS API, which the API server's aggregator calls (the APIService's caBundle: the CA). */
  readonly metricsServing: ClientCertificate;
  /** kube-router reading pods, namespaces and NetworkPolicies: user ferry-kube-router. */
  readonly kubeRouter: ClientCertificate;
}

export const APISERVER_KUBELET_CLIENT_USER = 'kube-apiserver-kubelet-client';
export const COREDNS_USER = 'ferry-coredns';
export const METRICS_SERVER_USER = 'ferry-metrics-server';
export const KUBE_ROUTER_USER = 'ferry-kube-router';

export async function makeNodePki(dir: string, nodeName: string, nodeIp: string): Promise<NodePki> {
  const [kubeletClient, kubeletServing, apiserverKubeletClient, kubeProxy, coredns, metricsServer, metricsServing, kubeRouter] = await Promise.all([
    sign(dir, 'kubelet-client', `/CN=system:node:${nodeName}/O=system:nodes`, CLIENT_AUTH),
    sign(dir, 'kubelet-serving', `/CN=system:node:${nodeName}`, [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:${nodeName},IP:${nodeIp},IP:127.0.0.1`,
    ]),
    sign(dir, 'apiserver-kubelet-client', `/CN=${APISERVER_KUBELET_CLIENT_USER}`, CLIENT_AUTH),
    sign(dir, 'kube-proxy', '/CN=system:kube-proxy', CLIENT_AUTH),
    sign(dir, 'coredns', `/CN=${COREDNS_USER}`, CLIENT_AUTH),
    sign(dir, 'metrics-server', `/CN=${METRICS_SERVER_USER}`, CLIENT_AUTH),
    sign(dir, 'metrics-serving', '/CN=metrics-server', [
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=DNS:metrics-server.kube-system.svc,IP:${nodeIp}`,
    ]),
    sign(dir, 'kube-router', `/CN=${KUBE_ROUTER_USER}`, CLIENT_AUTH),
  ]);
  return { kubeletClient, kubeletServing, apiserverKubeletClient, kubeProxy, coredns, metricsServer, metricsServing, kubeRouter };
}

const b64 = async (file: string): Promise<string> => (await readFile(file)).toString('base64');

/** A self-contained kubeconfig (certificates inlined) for a client certificate or a bearer token. */
export async function writeKubeconfig(
  file: string,
  options: { server: string; caCert: string; name: string; client?: ClientCertificate; token?: string; namespace?: string },
): Promise<void> {
  const user =
    options.client === undefined
      ? [`    token: ${options.token ?? ''}`]
      : [`    client-certificate-data: ${await b64(options.client.cert)}`, `    client-key-data: ${await b64(options.client.key)}`];
  await writeFile(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: ferry-local',
      '  cluster:',
      `    server: ${options.server}`,
      `    certificate-authority-data: ${await b64(options.caCert)}`,
      'users:',
      `- name: ${options.name}`,
      '  user:',
      ...user,
      'contexts:',
      `- name: ${options.name}@ferry-local`,
      '  context:',
      '    cluster: ferry-local',
      `    user: ${options.name}`,
      ...(options.namespace === undefined ? [] : [`    namespace: ${options.namespace}`]),
      `current-context: ${options.name}@ferry-local`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}
