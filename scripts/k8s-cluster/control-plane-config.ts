// The control plane's configuration files and objects (control-plane.ts starts the processes).
import { KUBERNETES_RELEASE } from './binaries.ts';

/** Nodes kwok manages carry this annotation (its --manage-nodes-with-annotation-selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** Records every request by a ServiceAccount outside kube-system at Metadata level, nothing else. */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
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

export function schedulerConfig(kubeconfig: string, qps: number): string {
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

export function nodeObject(name: string, pods: number): unknown {
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
