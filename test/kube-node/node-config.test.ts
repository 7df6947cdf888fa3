// The real node's configuration files (scripts/k8s-cluster/node-config.ts) as data: no cluster, no
// root, so this runs in every `npm test`. What it pins: nothing outside the state folder but runc and
// the CNI plugins, the cgroup v1 settings, and a pod network with no way off the machine.
import { parse } from 'yaml';
import {
  CNI_BIN_DIR, cniConflist, containerdConfig, corefile, kubeletConfig, kubeProxyConfig, nodeLayout, NODE_IP, OUTSIDE_IP, POD_CIDR, RUNC,
} from '../../scripts/k8s-cluster/node-config.ts';

const STATE = '/tmp/ferry-k8s-unit';
const layout = nodeLayout(STATE);
const SERVICE_CIDR = '10.96.0.0/16';

/** Every absolute path in a rendered file, outside the allowed ones. */
const pathsOutsideState = (text: string, allowed: readonly string[]): string[] =>
  [...text.matchAll(/["'\s=](\/[A-Za-z0-9._/-]+)/g)].map((match) => match[1] ?? '').filter((path) => !path.startsWith(`${STATE}/`) && !allowed.includes(path));

describe('real node configuration', () => {
  it('containerd: runc with cgroupfs, the local pause image, oom_score_adj clamped, every path in the state folder', () => {
    const text = containerdConfig(layout, { sandboxImage: 'localhost/ferry/pause:3.10.2', snapshotter: 'overlayfs' });
    expect(text).toMatch(/^version = 3$/m);
    expect(text).toContain(`BinaryName = "${RUNC}"`);
    expect(text).toMatch(/SystemdCgroup = false/);
    expect(text).toMatch(/restrict_oom_score_adj = true/);
    expect(text).toMatch(/netns_mounts_under_state_dir = true/);
    expect(text).toContain("sandbox = \"localhost/ferry/pause:3.10.2\"");
    expect(text).toContain("'io.containerd.nri.v1.nri'");
    expect(pathsOutsideState(text, [RUNC, CNI_BIN_DIR])).toEqual([]);
  });

  it('CNI: one bridge, the pod subnet, routes to Services and the host\'s stand-in outside address only — no default route, no masquerade', () => {
    const conf = JSON.parse(cniConflist(layout, SERVICE_CIDR)) as { plugins: Record<string, unknown>[] };
    const bridge = conf.plugins[0] as { type: string; bridge: string; ipMasq: boolean; isDefaultGateway: boolean; hairpinMode: boolean; ipam: { dataDir: string; ranges: { subnet: string; gateway: string }[][]; routes: { dst: string }[] } };
    expect(bridge).toMatchObject({ type: 'bridge', bridge: 'ferry0', ipMasq: false, isDefaultGateway: false, hairpinMode: true });
    expect(bridge.ipam.ranges).toEqual([[{ subnet: POD_CIDR, gateway: NODE_IP }]]);
    expect(bridge.ipam.routes).toEqual([{ dst: SERVICE_CIDR }, { dst: `${OUTSIDE_IP}/32` }]);
    expect(bridge.ipam.dataDir.startsWith(`${STATE}/`)).toBe(true);
    expect(conf.plugins.map((plugin) => plugin['type'])).toEqual(['bridge', 'portmap']);
  });

  it('kubelet: cgroup v1 allowed, cgroupfs, no swap check, x509 + webhook auth, CoreDNS on the node address', () => {
    const text = kubeletConfig(layout, { caCert: `${STATE}/pki/ca.crt`, servingCert: `${STATE}/pki/kubelet-serving.crt`, servingKey: `${STATE}/pki/kubelet-serving.key`, ports: { port: 10250, healthzPort: 10248 } });
    const config = parse(text) as Record<string, unknown>;
    expect(config).toMatchObject({
      kind: 'KubeletConfiguration',
      failCgroupV1: false,
      cgroupDriver: 'cgroupfs',
      failSwapOn: false,
      readOnlyPort: 0,
      clusterDNS: [NODE_IP],
      clusterDomain: 'cluster.local',
      containerRuntimeEndpoint: `unix://${layout.containerdSocket}`,
      authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: `${STATE}/pki/ca.crt` } },
      authorization: { mode: 'Webhook' },
    });
    expect(pathsOutsideState(text, ['/ferry-node'])).toEqual([]);
  });

  it('kube-proxy: iptables mode for the pod CIDR, conntrack sysctls left alone, no localhost NodePorts', () => {
    const config = parse(kubeProxyConfig({ kubeconfig: `${STATE}/node/kube-proxy.kubeconfig`, healthzPort: 1, metricsPort: 2 })) as Record<string, unknown>;
    expect(config).toMatchObject({
      mode: 'iptables',
      clusterCIDR: POD_CIDR,
      nodePortAddresses: ['primary'],
      iptables: { localhostNodePorts: false },
      conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    });
  });

  it('CoreDNS: serves cluster.local on the node address and forwards nothing', () => {
    const text = corefile({ kubeconfig: `${STATE}/node/coredns.kubeconfig`, readyPort: 8181 });
    expect(text).toContain(`bind ${NODE_IP}`);
    expect(text).toMatch(/kubernetes cluster\.local in-addr\.arpa ip6\.arpa \{/);
    expect(text).not.toMatch(/\bforward\b/);
  });
});
