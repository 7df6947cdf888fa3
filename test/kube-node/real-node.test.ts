// The local control plane with a real node (issue 10, ADR 0011): containerd runs the pods, kubelet
// reports them, kube-proxy serves ClusterIPs, CoreDNS answers cluster.local. Needs root and, on a
// cold machine, about 7 minutes of Go builds; so it runs only when asked:
//   FERRY_TEST_K8S_NODE=1 npx vitest run --project integration test/kube-node   (npm run test:k8s:node)
// The suite's files run one after another (--no-file-parallelism): a machine holds one real node at a time.
import { BatchV1Api, CoreV1Api, Watch, type V1Job, type V1Pod, type V1ResourceRequirements } from '@kubernetes/client-node';
import { startCluster, type RunningCluster } from '../../scripts/k8s-cluster/control-plane.ts';
import { client } from '../kube-control-plane/support/cluster-client.ts';
import { eventually } from '../support/eventually.ts';
import { readHostState, type HostState } from './support/host-state.ts';

const enabled = process.env['FERRY_TEST_K8S_NODE'] === '1';
const NAMESPACE = 'node-test';
const log = (line: string): void => console.log(`[k8s-node] ${line}`);

function job(name: string, image: string, command: string[], extra: { resources?: V1ResourceRequirements; labels?: Record<string, string> } = {}): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: extra.labels ?? {} },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'main', image, imagePullPolicy: 'Never', command, ...(extra.resources === undefined ? {} : { resources: extra.resources }) }],
        },
      },
    },
  };
}

const finished = (found: V1Job): string | undefined =>
  found.status?.conditions?.find((condition) => (condition.type === 'Complete' || condition.type === 'Failed') && condition.status === 'True')?.type;

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

describe.skipIf(!enabled)('a real node (containerd, kubelet, kube-proxy, CoreDNS) joined to the local control plane', () => {
  let before: HostState;
  let cluster: RunningCluster | undefined;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  let busybox: string;

  const podsOf = async (jobName: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `job-name=${jobName}` })).items;

  /** The kubelet's own log endpoint, through the API server (GET …/pods/{pod}/log). */
  const podLog = async (pod: string): Promise<string> => {
    const answer = await cluster!.api('GET', `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/log`);
    if (answer.status !== 200) throw new Error(`log of ${pod}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return String(answer.body);
  };

  const runJob = async (body: V1Job, timeoutMs = 60_000): Promise<{ outcome: string; pod: V1Pod; log: string }> => {
    const name = body.metadata?.name ?? '';
    await batch.createNamespacedJob({ namespace: NAMESPACE, body });
    const outcome = await eventually(`Job ${name} to finish`, async () => finished(await batch.readNamespacedJob({ namespace: NAMESPACE, name })), timeoutMs);
    const [pod] = await podsOf(name);
    if (pod === undefined) throw new Error(`Job ${name} has no pod`);
    return { outcome, pod, log: await podLog(pod.metadata?.name ?? '') };
  };

  beforeAll(async () => {
    before = await readHostState();
    const started = Date.now();
    cluster = await startCluster({ realNode: true, log });
    const node = cluster.node;
    if (node === undefined) throw new Error('startCluster({ realNode: true }) returned no node');
    busybox = node.images.busybox.name;
    const built = { ...cluster.binaries.builtSeconds, ...node.binaries.builtSeconds, ...node.images.builtSeconds };
    log(`built: ${Object.keys(built).length === 0 ? 'all cached' : JSON.stringify(built)}; cluster with node up in ${((cluster.timings['total'] ?? 0) / 1000).toFixed(1)} s ` +
      `(${JSON.stringify(cluster.timings)}); beforeAll ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const admin = client(cluster.adminKubeconfig);
    batch = admin.makeApiClient(BatchV1Api);
    core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await eventually('the ServiceAccount default in the test namespace', () => core.readNamespacedServiceAccount({ namespace: NAMESPACE, name: 'default' }).then((sa) => sa, () => undefined));
  }, 30 * 60_000);

  afterAll(async () => {
    // Normally stopped by the last test; here when an earlier failure skipped it.
    await cluster?.stop();
  }, 180_000);

  it('registers ferry-node-0 Ready with the kubelet, containerd and kube-proxy versions it runs', async () => {
    const node = await core.readNode({ name: 'ferry-node-0' });
    expect(node.status?.conditions?.find((condition) => condition.type === 'Ready')?.status).toBe('True');
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.36.3');
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toBe('containerd://2.3.7');
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '10.244.0.1' });
    expect(node.metadata?.labels?.['ferry.dev/node']).toBe('real');
  });

  it('runs a Job pod from the local busybox image; GET pods/{pod}/log returns what it printed (the kubelet, through the API server)', async () => {
    const { outcome, pod, log: output } = await runJob(job('hello', busybox, ['sh', '-c', 'echo "hello from $(hostname)"; echo "uid=$(id -u)"; ip route']));
    expect(outcome).toBe('Complete');
    const name = pod.metadata?.name ?? '';
    expect(pod.spec?.nodeName).toBe('ferry-node-0');
    expect(pod.status?.podIP).toMatch(/^10\.244\.0\.\d+$/);
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(output).toContain(`hello from ${name}\n`);
    expect(output).toContain('uid=0\n');
    // Pods get the Service range and their own subnet, no default route: nothing they send leaves the machine.
    expect(output).toContain('10.96.0.0/16 via 10.244.0.1');
    expect(output).not.toMatch(/^default/m);

    const { outcome: failed, pod: failedPod } = await runJob(job('exit-3', busybox, ['sh', '-c', 'echo failing; exit 3']));
    expect(failed).toBe('Failed');
    expect(failedPod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    expect(await podLog(failedPod.metadata?.name ?? '')).toBe('failing\n');
  });

  it('a pod reaches a Service by its DNS name and by its ClusterIP (kube-proxy, CoreDNS); the host reaches the ClusterIP too', async () => {
    const token = `ferry-${Date.now()}`;
    await core.createNamespacedPod({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'web', labels: { app: 'web' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd', image: busybox, imagePullPolicy: 'Never',
            command: ['sh', '-c', `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p 8080 -h /www`],
            ports: [{ containerPort: 8080 }],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          }],
        },
      },
    });
    const service = await core.createNamespacedService({ namespace: NAMESPACE, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
    const clusterIp = service.spec?.clusterIP ?? '';
    expect(clusterIp).toMatch(/^10\.96\./);
    await eventually('pod web Ready', async () => {
      const pod = await core.readNamespacedPod({ namespace: NAMESPACE, name: 'web' });
      return pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true ? pod : undefined;
    }, 60_000);

    const fqdn = `web.${NAMESPACE}.svc.cluster.local`;
    // busybox's `wget -T` crashes (Debian 1.35.0); `timeout` bounds each call instead.
    const { outcome, log: output } = await runJob(job('client', busybox, ['sh', '-c', [
      `nslookup ${fqdn}`,
      `echo "by-name: $(timeout 10 wget -q -O- http://${fqdn}/)"`,
      `echo "by-short-name: $(timeout 10 wget -q -O- http://web/)"`,
      `echo "by-ip: $(timeout 10 wget -q -O- http://${clusterIp}/)"`,
    ].join('; ')]));
    expect(outcome).toBe('Complete');
    expect(output).toContain(`Address: ${clusterIp}`);
    expect(output).toContain(`by-name: ${token}\n`);
    expect(output).toContain(`by-short-name: ${token}\n`);
    expect(output).toContain(`by-ip: ${token}\n`);

    const fromHost = await fetch(`http://${clusterIp}/`, { signal: AbortSignal.timeout(10_000) });
    expect((await fromHost.text()).trim()).toBe(token);
  });

  it('reports a container past its memory limit as terminated, reason OOMKilled', async () => {
    // dd's 64 MiB buffer in a 32 MiB cgroup: the kernel kills the container's main process.
    const { outcome, pod } = await runJob(job('oom', busybox, ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], { resources: { limits: { memory: '32Mi' } } }));
    expect(outcome).toBe('Failed');
    const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
    expect(terminated?.reason).toBe('OOMKilled');
    expect(terminated?.exitCode).toBe(137);
  });

  it('starts pods fast enough: Job created → container running, median and p90 over 20 Jobs', async () => {
    const runningAt = new Map<string, number>();
    const watch = new Watch(client(cluster!.adminKubeconfig));
    const request = await watch.watch(`/api/v1/namespaces/${NAMESPACE}/pods`, { labelSelector: 'ferry.dev/start-bench=true' }, (_type: string, pod: V1Pod) => {
      const jobName = pod.metadata?.labels?.['job-name'];
      const state = pod.status?.containerStatuses?.[0]?.state;
      if (jobName !== undefined && !runningAt.has(jobName) && (state?.running !== undefined || state?.terminated !== undefined)) runningAt.set(jobName, Date.now());
    }, () => undefined);
    const latencies: number[] = [];
    try {
      for (let index = 0; index < 20; index += 1) {
        const name = `start-${index}`;
        const created = Date.now();
        await batch.createNamespacedJob({ namespace: NAMESPACE, body: job(name, busybox, ['sleep', '5'], { labels: { 'ferry.dev/start-bench': 'true' } }) });
        const at = await eventually(`Job ${name}'s container running`, () => Promise.resolve(runningAt.get(name)), 60_000);
        latencies.push(at - created);
      }
    } finally {
      request.abort();
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const median = percentile(sorted, 50);
    const p90 = percentile(sorted, 90);
    log(`pod start (Job created → container running, one Job at a time, 20 Jobs): median ${median} ms, p90 ${p90} ms, min ${sorted[0]} ms, max ${sorted.at(-1)} ms; all: ${latencies.join(', ')}`);
    expect(latencies).toHaveLength(20);
    expect(p90).toBeLessThan(15_000);
  }, 600_000);

  it('stop() removes containers, mounts, network namespaces, iptables chains, the bridge and cgroups; a second start works', async () => {
    const during = await readHostState();
    expect(during.links).toContain('ferry0');
    expect(during.chains.some((chain) => chain.includes('KUBE-SERVICES'))).toBe(true);
    expect(during.chains.some((chain) => chain.includes('KUBE-ROUTER-INPUT'))).toBe(true);
    expect(during.mounts.length).toBeGreaterThan(0);
    await cluster!.stop();
    cluster = undefined;
    expect(await readHostState()).toEqual(before);

    // Again from scratch: the same bridge, pod network and claim, a pod that runs, a clean stop.
    const second = await startCluster({ realNode: true, log });
    try {
      const again = client(second.adminKubeconfig);
      await again.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: NAMESPACE } } });
      await eventually('the ServiceAccount default (second cluster)', () => again.makeApiClient(CoreV1Api).readNamespacedServiceAccount({ namespace: NAMESPACE, name: 'default' }).then((sa) => sa, () => undefined));
      const secondBatch = again.makeApiClient(BatchV1Api);
      await secondBatch.createNamespacedJob({ namespace: NAMESPACE, body: job('again', busybox, ['echo', 'again']) });
      expect(await eventually('Job again to finish', async () => finished(await secondBatch.readNamespacedJob({ namespace: NAMESPACE, name: 'again' })), 60_000)).toBe('Complete');
    } finally {
      await second.stop();
    }
    expect(await readHostState()).toEqual(before);
  }, 300_000);
});
