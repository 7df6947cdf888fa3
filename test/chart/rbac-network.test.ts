// Least privilege: the controller's Role grants exactly what the Kubernetes executor calls, in the
// jobs namespace only; the runner's ServiceAccount has no rights; NetworkPolicies let job pods reach
// DNS, the gateway and the outside world only, and NATS hear the gateway and controller only.
import type { K8sTools } from '../../scripts/k8s-tools.ts';
import { CHART_DIR, find, renderChart, type Manifest } from './support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
beforeAll(async () => {
  tools = await k8sTools();
}, TOOLS_TIMEOUT_MS);

const GATEWAY_PODS = { 'app.kubernetes.io/name': 'ferry', 'app.kubernetes.io/instance': 'ferry', 'app.kubernetes.io/component': 'gateway' };
const CONTROLLER_PODS = { ...GATEWAY_PODS, 'app.kubernetes.io/component': 'controller' };

describe('RBAC', () => {
  it.each([
    ['its own namespace (the default)', [], 'ferry-jobs'],
    ['a namespace named for them', ['--set', 'jobs.namespace=etl-jobs'], 'etl-jobs'],
    ['the release namespace', ['--set', 'jobs.namespace=ferry'], 'ferry'],
  ])('the controller may touch Jobs, Pods and logs in %s, nothing else', async (_where, args, jobsNamespace) => {
    const manifests = await renderChart(tools.helm, args);
    const roles = manifests.filter((manifest) => manifest.kind === 'Role' || manifest.kind === 'ClusterRole');
    expect(roles.map((role) => `${role.kind}/${role.metadata.namespace}/${role.metadata.name}`)).toEqual([
      `Role/${jobsNamespace}/ferry-controller`,
    ]);
    // Exactly the executor's calls: create/delete a Job per attempt, patch its TTL once the final
    // state is recorded, list+watch Jobs and Pods (informers), read Pod logs. No leases: the
    // leader lease lives in NATS.
    expect(roles[0]?.['rules']).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
      { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
    ]);

    const bindings = manifests.filter((manifest) => manifest.kind === 'RoleBinding' || manifest.kind === 'ClusterRoleBinding');
    expect(bindings).toHaveLength(1);
    expect(bindings[0]?.metadata.namespace).toBe(jobsNamespace);
    expect(bindings[0]?.['roleRef']).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ferry-controller' });
    expect(bindings[0]?.['subjects']).toEqual([{ kind: 'ServiceAccount', name: 'ferry-controller', namespace: 'ferry' }]);
  });

  it('gives job pods a ServiceAccount in the jobs namespace with no Role and no token', async () => {
    const manifests = await renderChart(tools.helm, ['--set', 'jobs.namespace=ferry-jobs']);
    const runner = find(manifests, 'ServiceAccount', 'ferry-runner');
    expect(runner.metadata.namespace).toBe('ferry-jobs');
    expect(runner['automountServiceAccountToken']).toBe(false);
    expect(JSON.stringify(manifests.filter((manifest) => manifest.kind.endsWith('RoleBinding')))).not.toContain('ferry-runner');
    expect(find(manifests, 'ServiceAccount', 'ferry-gateway')['automountServiceAccountToken']).toBe(false);
  });
});

describe('the jobs namespace', () => {
  it('is created under Pod Security restricted, with a ResourceQuota and a LimitRange that fills in what a pipeline leaves out', async () => {
    const manifests = await renderChart(tools.helm);
    const namespace = find(manifests, 'Namespace', 'ferry-jobs');
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    expect((namespace.metadata as { annotations?: Record<string, string> }).annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
    const quota = find(manifests, 'ResourceQuota', 'ferry-jobs');
    expect(quota.metadata.namespace).toBe('ferry-jobs');
    expect((quota['spec'] as { hard: Record<string, string> }).hard).toMatchObject({ pods: '100', 'limits.ephemeral-storage': '400Gi' });
    const limits = find(manifests, 'LimitRange', 'ferry-jobs');
    expect(limits['spec']).toEqual({
      limits: [{ type: 'Container', defaultRequest: { cpu: '50m', memory: '128Mi' }, default: { memory: '2Gi' }, max: { memory: '32Gi' } }],
    });
  });

  it('is not created when it exists already, or is the release namespace', async () => {
    for (const args of [['--set', 'jobs.createNamespace=false'], ['--set', 'jobs.namespace=ferry']]) {
      const manifests = await renderChart(tools.helm, args);
      expect(manifests.filter((manifest: Manifest) => manifest.kind === 'Namespace')).toEqual([]);
    }
  });
});

describe('NetworkPolicies', () => {
  it('let job pods reach DNS, the gateway on 8080 and addresses outside the cluster on the source ports, and nothing reach them', async () => {
    const manifests = await renderChart(tools.helm, ['--set', 'jobs.namespace=ferry-jobs']);
    const jobs = find(manifests, 'NetworkPolicy', 'ferry-jobs');
    expect(jobs.metadata.namespace).toBe('ferry-jobs');
    const spec = jobs['spec'] as NetworkPolicySpec;
    expect(spec.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/component': 'job', 'app.kubernetes.io/part-of': 'ferry' } });
    expect(spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(spec.ingress).toEqual([]);
    const [dns, gateway, outside, ...more] = spec.egress ?? [];
    expect(more).toEqual([]);
    expect(dns?.ports).toEqual([
      { port: 53, protocol: 'UDP' },
      { port: 53, protocol: 'TCP' },
    ]);
    expect(dns?.to).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
    ]);
    expect(gateway).toEqual({
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ferry' } }, podSelector: { matchLabels: GATEWAY_PODS } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
    expect(outside?.ports).toEqual([
      { port: 80, protocol: 'TCP' },
      { port: 443, protocol: 'TCP' },
    ]);
    expect(outside?.to).toEqual([
      { ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'] } },
      { ipBlock: { cidr: '::/0', except: ['fe80::/10', 'fd00:ec2::254/128', 'fc00::/7'] } },
    ]);
  });

  it('take the cluster CIDRs from values and add extra egress rules after the built-in ones', async () => {
    const manifests = await renderChart(tools.helm, [
      '-f',
      `${CHART_DIR}/ci/kueue-values.yaml`,
      '--set',
      'networkPolicy.clusterCIDRs={10.96.0.0/12,10.244.0.0/16}',
    ]);
    const spec = find(manifests, 'NetworkPolicy', 'ferry-jobs')['spec'] as NetworkPolicySpec;
    expect(spec.egress?.[2]?.to?.[0]).toEqual({
      ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.0.0/16', '10.96.0.0/12', '10.244.0.0/16'] },
    });
    expect(spec.egress?.[2]?.to?.[1]).toEqual({ ipBlock: { cidr: '::/0', except: ['fe80::/10', 'fd00:ec2::254/128'] } });
    expect(spec.egress?.[3]).toEqual({ to: [{ ipBlock: { cidr: '10.20.0.0/16' } }], ports: [{ port: 443, protocol: 'TCP' }] });
  });

  it('let only the gateway and the controller reach NATS, and anyone reach the gateway on 8080', async () => {
    const manifests = await renderChart(tools.helm);
    const nats = find(manifests, 'NetworkPolicy', 'ferry-nats')['spec'] as NetworkPolicySpec;
    expect(nats.policyTypes).toEqual(['Ingress']);
    expect(nats.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: GATEWAY_PODS } }, { podSelector: { matchLabels: CONTROLLER_PODS } }],
        ports: [{ port: 4222, protocol: 'TCP' }],
      },
    ]);
    const gateway = find(manifests, 'NetworkPolicy', 'ferry-gateway')['spec'] as NetworkPolicySpec;
    expect(gateway.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
  });

  it('select pods that exist: the gateway container listens on the port the job policy opens', async () => {
    const manifests = await renderChart(tools.helm);
    const deployment = find(manifests, 'Deployment', 'ferry-gateway');
    const template = (
      deployment['spec'] as {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: Array<{ ports: Array<{ containerPort: number }> }> };
        };
      }
    ).template;
    expect(template.metadata.labels).toMatchObject(GATEWAY_PODS);
    expect(template.spec.containers[0]?.ports.map((port) => port.containerPort)).toEqual([8080]);
  });

  it('are not rendered when networkPolicy.enabled=false', async () => {
    const manifests = await renderChart(tools.helm, ['--set', 'networkPolicy.enabled=false']);
    expect(manifests.filter((manifest: Manifest) => manifest.kind === 'NetworkPolicy')).toEqual([]);
  });
});

interface NetworkPolicyRule {
  readonly to?: readonly object[];
  readonly from?: readonly object[];
  readonly ports?: readonly object[];
}

interface NetworkPolicySpec {
  readonly podSelector: object;
  readonly policyTypes: readonly string[];
  readonly ingress?: readonly NetworkPolicyRule[];
  readonly egress?: readonly NetworkPolicyRule[];
}
