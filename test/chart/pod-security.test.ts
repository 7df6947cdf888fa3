// Every pod the chart makes (gateway, controller, NATS, the helm test), under every ci/ values file,
// passes the Pod Security Standard "restricted", plus Ferry's own rules: numeric non-root uid,
// read-only root filesystem, /tmp an emptyDir for the Ferry image.
import type { K8sTools } from '../../scripts/k8s-tools.ts';
import { podTemplates, renderChart, VALUE_SETS, type PodSpec } from './support/chart.ts';
import { ferryPodViolations, restrictedViolations } from './support/pod-security.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
beforeAll(async () => {
  tools = await k8sTools();
}, TOOLS_TIMEOUT_MS);

describe.each(VALUE_SETS)('pods rendered with %s', (_name, args) => {
  it('pass Pod Security "restricted" and Ferry\'s own rules', async () => {
    const pods = podTemplates(await renderChart(tools.helm, args));
    expect(pods.length).toBeGreaterThanOrEqual(2);
    const problems = pods.flatMap(({ owner, spec }) => {
      const ferryImage = spec.containers.every((container) => container.command?.[0] === 'node');
      return [...restrictedViolations(spec), ...ferryPodViolations(spec, { writesTmp: ferryImage })].map(
        (problem) => `${owner}: ${problem}`,
      );
    });
    expect(problems).toEqual([]);
  });

  it('mount a ServiceAccount token only into the controller', async () => {
    const pods = podTemplates(await renderChart(tools.helm, args));
    for (const { owner, spec } of pods) {
      expect(spec.automountServiceAccountToken, owner).toBe(owner === 'Deployment/ferry-controller');
    }
  });
});

describe('the restricted check itself', () => {
  const good: PodSpec = {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'app',
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
      },
    ],
    volumes: [{ name: 'tmp', emptyDir: {} }],
  };
  const app = good.containers[0]!;
  const withContainer = (patch: object): PodSpec => ({
    ...good,
    containers: [{ ...app, securityContext: { ...app.securityContext, ...patch } }],
  });

  it('passes a minimal restricted pod', () => {
    expect(restrictedViolations(good)).toEqual([]);
    expect(ferryPodViolations(good, { writesTmp: true })).toEqual([]);
  });

  it.each<[string, PodSpec, string]>([
    ['host network', { ...good, hostNetwork: true }, 'Host Namespaces: pod: hostNetwork is true'],
    ['host PID', { ...good, hostPID: true }, 'Host Namespaces: pod: hostPID is true'],
    ['a hostPath volume', { ...good, volumes: [{ name: 'host', hostPath: { path: '/' } }] }, 'HostPath Volumes'],
    [
      'a hostPath volume (volume types)',
      { ...good, volumes: [{ name: 'host', hostPath: { path: '/' } }] },
      'Volume Types: volume host is hostPath',
    ],
    ['privileged', withContainer({ privileged: true }), 'Privileged Containers'],
    ['privilege escalation', withContainer({ allowPrivilegeEscalation: true }), 'Privilege Escalation'],
    ['runAsNonRoot false on a container', withContainer({ runAsNonRoot: false }), 'Running as Non-root: container app'],
    ['uid 0', withContainer({ runAsUser: 0 }), 'Running as Non-root user: container app: runAsUser is 0'],
    [
      'no seccomp',
      { ...good, securityContext: { runAsNonRoot: true, runAsUser: 1000 } },
      'Seccomp: container app: seccompProfile is unset',
    ],
    [
      'Unconfined seccomp',
      withContainer({ seccompProfile: { type: 'Unconfined' } }),
      'Seccomp: container app: seccompProfile is Unconfined',
    ],
    ['capabilities not dropped', withContainer({ capabilities: {} }), 'Capabilities: container app: does not drop ALL'],
    [
      'an added capability',
      withContainer({ capabilities: { drop: ['ALL'], add: ['NET_ADMIN'] } }),
      'Capabilities: container app: adds NET_ADMIN',
    ],
    ['a host port', { ...good, containers: [{ ...app, ports: [{ containerPort: 80, hostPort: 80 }] }] }, 'Host Ports'],
    ['an unsafe sysctl', { ...good, securityContext: { ...good.securityContext, sysctls: [{ name: 'kernel.msgmax' }] } }, 'Sysctls'],
    ['an Unmasked /proc', withContainer({ procMount: 'Unmasked' }), '/proc Mount Type'],
    ['a SELinux user', withContainer({ seLinuxOptions: { user: 'root' } }), 'SELinux'],
  ])('catches %s', (_what, spec, message) => {
    expect(restrictedViolations(spec).join('\n')).toContain(message);
  });

  it('allows NET_BIND_SERVICE, the one capability restricted permits', () => {
    expect(restrictedViolations(withContainer({ capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } }))).toEqual([]);
  });

  it.each<[string, PodSpec, string]>([
    [
      'no uid',
      { ...good, securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } } },
      'runAsUser is not a numeric non-root uid',
    ],
    ['a writable root', withContainer({ readOnlyRootFilesystem: false }), 'readOnlyRootFilesystem is not true'],
    ['no /tmp', { ...good, volumes: [] }, 'no emptyDir mounted at /tmp'],
  ])("Ferry's rules catch %s", (_what, spec, message) => {
    expect(ferryPodViolations(spec, { writesTmp: true }).join('\n')).toContain(message);
  });
});
