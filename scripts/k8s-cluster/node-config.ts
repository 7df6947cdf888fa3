// The real node's configuration files (ADR 0011), as pure functions of its layout: containerd's
// config, the CNI network, kubelet's and kube-proxy's configurations, CoreDNS's Corefile and crictl's.
// Every path a component would otherwise put under /var/lib, /run, /etc or /opt points into the
// node's state folder, so that `down` can remove all of it.
import { join } from 'node:path';

/** The one real node: its name, its network and where its components listen. */
export const NODE_NAME = 'ferry-node-0';
/** The Linux bridge the pods' veths join; the node creates it, the CNI bridge plugin reuses it. */
export const BRIDGE = 'ferry0';
export const POD_CIDR = '10.244.0.0/24';
/**
 * The bridge's own address: the pods' gateway, the node's InternalIP (the API server dials the
 * kubelet there) and CoreDNS's listening address. kubelet refuses a loopback node IP.
 */
export const NODE_IP = '10.244.0.1';
/**
 * An address outside every cluster and private range that the host answers on, routed to from
 * pods: it stands for the internet this machine cannot reach (a data source under the chart's
 * default egress policy). 192.88.99.0/24 is the retired 6to4 relay range (RFC 7526): no one serves
 * it, and Ferry's source policy counts it public.
 */
export const OUTSIDE_IP = '192.88.99.1';
export const CLUSTER_DOMAIN = 'cluster.local';
/** Where kubelet puts pods' cgroups (cgroupRoot): one folder per hierarchy, removed by `down`. */
export const CGROUP_ROOT = 'ferry-node';
/** runc as Debian installs it (package runc). */
export const RUNC = '/usr/sbin/runc';
/** Debian's containernetworking-plugins. */
export const CNI_BIN_DIR = '/usr/lib/cni';

/** Every file and folder of the node, under `<stateDir>/node`. */
export interface NodeLayout {
  readonly dir: string;
  readonly containerdRoot: string;
  readonly containerdState: string;
  readonly containerdConfig: string;
  readonly containerdSocket: string;
  readonly runcRoot: string;
  readonly cniConfDir: string;
  readonly cniIpamDir: string;
  readonly kubeletRoot: string;
  readonly kubeletConfig: string;
  readonly podLogsDir: string;
  readonly resolvConf: string;
  readonly kubeProxyConfig: string;
  readonly corefile: string;
  readonly crictlConfig: string;
}

export function nodeLayout(stateDir: string): NodeLayout {
  const dir = join(stateDir, 'node');
  return {
    dir,
    containerdRoot: join(dir, 'containerd', 'root'),
    containerdState: join(dir, 'containerd', 'state'),
    containerdConfig: join(dir, 'containerd', 'config.toml'),
    // A unix socket path has at most 107 bytes: it sits high in the tree.
    containerdSocket: join(dir, 'containerd.sock'),
    runcRoot: join(dir, 'runc'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeletConfig: join(dir, 'kubelet.yaml'),
    podLogsDir: join(dir, 'pod-logs'),
    resolvConf: join(dir, 'resolv.conf'),
    kubeProxyConfig: join(dir, 'kube-proxy.yaml'),
    corefile: join(dir, 'Corefile'),
    crictlConfig: join(dir, 'crictl.yaml'),
  };
}

const quote = (value: string): string => JSON.stringify(value);

/**
 * containerd 2.x, config version 3. Plugins that would reach for fixed host paths are off (NRI's
 * socket under /var/run/nri, the /opt/containerd plugin folder, tracing, snapshotters that cannot
 * work here); the CRI plugin uses runc with cgroupfs, Debian's CNI plugins and the local pause image.
 */
export function containerdConfig(layout: NodeLayout, options: { readonly sandboxImage: string; readonly snapshotter: string }): string {
  return `version = 3
root = ${quote(layout.containerdRoot)}
state = ${quote(layout.containerdState)}
imports = []
disabled_plugins = [
  'io.containerd.nri.v1.nri',
  'io.containerd.internal.v1.opt',
  'io.containerd.internal.v1.tracing',
  'io.containerd.tracing.processor.v1.otlp',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.zfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.erofs',
  'io.containerd.snapshotter.v1.blockfile',
  'io.containerd.image-verifier.v1.bindir',
]

[grpc]
  address = ${quote(layout.containerdSocket)}

[ttrpc]
  address = ${quote(`${layout.containerdSocket}.ttrpc`)}

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = ${quote(options.snapshotter)}
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = ${quote(options.sandboxImage)}

  [plugins.'io.containerd.cri.v1.runtime']
    # CDI cannot be switched off in 2.3 (enable_cdi is deprecated); its spec folders move here, empty
    cdi_spec_dirs = [${quote(join(layout.dir, 'cdi'))}]
    # this machine's bounding set lacks CAP_SYS_RESOURCE, so no process may lower an oom_score_adj;
    # runc fails a sandbox (-998) or Guaranteed container (-997) unless clamped to containerd's own
    restrict_oom_score_adj = true
    # network namespaces as files under the state folder, not the host's netns folder: down unmounts them
    netns_mounts_under_state_dir = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = 'io.containerd.runc.v2'
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = ${quote(RUNC)}
          Root = ${quote(layout.runcRoot)}
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = [${quote(CNI_BIN_DIR)}]
      conf_dir = ${quote(layout.cniConfDir)}
      max_conf_num = 1

  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = '127.0.0.1'
    stream_server_port = '0'
`;
}

/**
 * One bridge network. No default route and no masquerade: a pod reaches other pods, the node's
 * address (CoreDNS, the kubelet) and Service ClusterIPs (kube-proxy's DNAT on the node), and
 * nothing else — no packet of a pod leaves the machine. `hairpinMode` lets a pod reach itself
 * through its own Service.
 */
export function cniConflist(layout: NodeLayout, serviceCidr: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'ferry',
      plugins: [
        {
          type: 'bridge',
          bridge: BRIDGE,
          isGateway: true,
          isDefaultGateway: false,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            dataDir: layout.cniIpamDir,
            ranges: [[{ subnet: POD_CIDR, gateway: NODE_IP }]],
            routes: [{ dst: serviceCidr }, { dst: `${OUTSIDE_IP}/32` }],
          },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

export interface KubeletPorts {
  readonly port: number;
  readonly healthzPort: number;
}

/**
 * KubeletConfiguration for cgroup v1 (failCgroupV1: false) with the cgroupfs driver, x509 and
 * webhook authentication, webhook authorization, and eviction thresholds low enough that a busy
 * shared disk does not evict the tests' pods.
 */
export function kubeletConfig(layout: NodeLayout, options: { readonly caCert: string; readonly servingCert: string; readonly servingKey: string; readonly ports: KubeletPorts }): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: ${options.ports.port}
# no CAP_SYS_RESOURCE here (see containerdConfig): kubelet keeps its own score instead of -999
oomScoreAdj: 0
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${options.ports.healthzPort}
tlsCertFile: ${quote(options.servingCert)}
tlsPrivateKeyFile: ${quote(options.servingKey)}
rotateCertificates: false
serverTLSBootstrap: false
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${quote(options.caCert)}
authorization:
  mode: Webhook
containerRuntimeEndpoint: ${quote(`unix://${layout.containerdSocket}`)}
cgroupDriver: cgroupfs
cgroupRoot: /${CGROUP_ROOT}
failCgroupV1: false
failSwapOn: false
clusterDomain: ${CLUSTER_DOMAIN}
clusterDNS:
- ${NODE_IP}
resolvConf: ${quote(layout.resolvConf)}
podLogsDir: ${quote(layout.podLogsDir)}
volumePluginDir: ${quote(join(layout.kubeletRoot, 'volume-plugins'))}
hairpinMode: hairpin-veth
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  nodefs.inodesFree: 1%
  imagefs.available: 1%
# Volume usage (an emptyDir against its sizeLimit) measured every 10 s, not every minute: the
# DiskLimitExceeded case sees its eviction within seconds.
volumeStatsAggPeriod: 10s
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
nodeStatusReportFrequency: 10s
serializeImagePulls: false
`;
}

/** kube-proxy in iptables mode; it leaves conntrack sysctls alone and serves NodePorts on the node IP only. */
export function kubeProxyConfig(options: { readonly kubeconfig: string; readonly healthzPort: number; readonly metricsPort: number }): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: ${quote(options.kubeconfig)}
hostnameOverride: ${NODE_NAME}
oomScoreAdj: 0
mode: iptables
clusterCIDR: ${POD_CIDR}
detectLocalMode: ClusterCIDR
healthzBindAddress: 127.0.0.1:${options.healthzPort}
metricsBindAddress: 127.0.0.1:${options.metricsPort}
nodePortAddresses:
- primary
iptables:
  localhostNodePorts: false
  minSyncPeriod: 0s
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`;
}

/**
 * CoreDNS on the node's address, answering cluster.local (and reverse lookups) from the API. It
 * forwards nothing: this machine has no upstream resolver a pod may use, so other names are REFUSED.
 */
export function corefile(options: { readonly kubeconfig: string; readonly readyPort: number }): string {
  return `${CLUSTER_DOMAIN}:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${NODE_IP}
    errors
    ready 127.0.0.1:${options.readyPort}
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${options.kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    cache 30
    loadbalance
}
`;
}

export function crictlConfig(layout: NodeLayout): string {
  return `runtime-endpoint: unix://${layout.containerdSocket}
image-endpoint: unix://${layout.containerdSocket}
timeout: 30
`;
}

/** The read access CoreDNS's kubernetes plugin needs (as kubeadm's system:coredns ClusterRole). */
export function corednsClusterRole(name: string): unknown {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  };
}

/** What kube-router's informers read (it starts them all, whichever of its controllers runs). */
export function kubeRouterClusterRole(name: string): unknown {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: [
      { apiGroups: [''], resources: ['namespaces', 'pods', 'services', 'nodes', 'endpoints'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ],
  };
}

export function clusterRoleBinding(name: string, role: string, user: string): unknown {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  };
}

/**
 * What the API server needs to serve metrics.k8s.io from the node's metrics-server (a host process
 * on the bridge address): its RBAC (the upstream manifest's rules, for a user instead of a
 * ServiceAccount), a Service without selector whose EndpointSlice names that address, and the
 * APIService that aggregates it. Each as [collection path, object].
 */
export function metricsServerObjects(options: { user: string; port: number; caBundle: string }): [string, unknown][] {
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  const subject = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: options.user }];
  return [
    [`${rbac}/clusterroles`, {
      metadata: { name: 'ferry:metrics-server' },
      rules: [
        { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
      ],
    }],
    [`${rbac}/clusterrolebindings`, clusterRoleBinding('ferry:metrics-server', 'ferry:metrics-server', options.user)],
    // Delegated authentication and authorization, as every aggregated API server does them.
    [`${rbac}/clusterrolebindings`, clusterRoleBinding('ferry:metrics-server:auth-delegator', 'system:auth-delegator', options.user)],
    [`${rbac}/namespaces/kube-system/rolebindings`, {
      metadata: { name: 'ferry:metrics-server:auth-reader', namespace: 'kube-system' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' },
      subjects: subject,
    }],
    ['/api/v1/namespaces/kube-system/services', {
      metadata: { name: 'metrics-server', namespace: 'kube-system' },
      spec: { ports: [{ name: 'https', port: 443, targetPort: options.port, protocol: 'TCP' }] },
    }],
    ['/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices', {
      metadata: { name: 'metrics-server-node', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'metrics-server' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [NODE_IP], conditions: { ready: true } }],
      ports: [{ name: 'https', port: options.port, protocol: 'TCP' }],
    }],
    ['/apis/apiregistration.k8s.io/v1/apiservices', {
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { name: 'metrics-server', namespace: 'kube-system', port: 443 },
        caBundle: options.caBundle,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    }],
  ];
}
