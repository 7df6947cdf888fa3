// Ferry as a platform engineer installs it (issue 10): `helm install charts/ferry` with the chart's
// defaults on the real node — Ferry's own image (npm run image:build) for the gateway, the controller,
// the helm test and every job pod, the NATS StatefulSet on a local PersistentVolume — in namespaces
// that enforce Pod Security "restricted". Every job is checked from outside, through the gateway's
// ClusterIP (the host reaches it through kube-proxy), and `kubectl` does what an operator would.
// The node's kube-router enforces the chart's NetworkPolicies and its metrics-server feeds the HPA
// (ADR 0014). Runs with the node suite (one file at a time: one real node per machine): npm run test:k8s:node
import { AutoscalingV2Api, BatchV1Api, CoreV1Api, Watch, type V2HorizontalPodAutoscaler, type V1Pod } from '@kubernetes/client-node';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { startCluster, type RunningCluster } from '../../scripts/k8s-cluster/control-plane.ts';
import { OUTSIDE_IP } from '../../scripts/k8s-cluster/node.ts';
import { buildImage, type FerryImage } from '../../scripts/image-build.ts';
import { ensureHelm } from '../../scripts/k8s-tools.ts';
import { CHART_DIR, helm } from '../chart/support/chart.ts';
import { client } from '../kube-control-plane/support/cluster-client.ts';
import { eventually } from '../support/eventually.ts';
import { Api } from '../support/api.ts';
import { checkJobs } from '../support/checker.ts';
import { HttpFixture } from '../support/http-fixture.ts';
import { generateSales, SALES_BY_REGION_SQL, toCsv, totalsByRegion } from '../support/sales-fixture.ts';
import { isFinal, waitForJob } from '../support/system.ts';

const run = promisify(execFile);
const enabled = process.env['FERRY_TEST_K8S_NODE'] === '1';
const log = (line: string): void => console.log(`[ferry-on-node] ${line}`);
const RELEASE = 'ferry';
const NAMESPACE = 'ferry';
/** The chart's default jobs namespace for release namespace `ferry`: it creates it. */
const JOBS_NAMESPACE = 'ferry-jobs';
const PSA = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** A container pipeline of the Ferry image that holds memory until the kernel stops it. */
const HOG = {
  name: 'hog',
  kind: 'container',
  description: 'Holds 1 MiB more every few milliseconds until its memory limit stops it (the OOMKilled case).',
  image: 'ferry:0.1.0',
  command: ['node', '-e', 'const held = []; setInterval(() => held.push(Buffer.alloc(1 << 20, 1)), 5)'],
  args: [],
  paramsSchema: { type: 'object', additionalProperties: false },
  defaults: { timeoutSeconds: 120, maxAttempts: 1 },
  resources: { requests: { memory: '96Mi' }, limits: { memory: '96Mi' } },
};

/** A container pipeline of the Ferry image that writes 1 MiB files into /tmp until its disk limit stops it. */
const DISK_HOG = {
  name: 'disk-hog',
  kind: 'container',
  description: 'Writes 1 MiB more into /tmp every 20 ms until the kubelet evicts it (the DiskLimitExceeded case).',
  image: 'ferry:0.1.0',
  command: ['node', '-e', "const fs = require('node:fs'); let n = 0; setInterval(() => fs.writeFileSync('/tmp/fill-' + n++, Buffer.alloc(1 << 20, 1)), 20)"],
  args: [],
  paramsSchema: { type: 'object', additionalProperties: false },
  defaults: { timeoutSeconds: 300, maxAttempts: 2 },
  resources: { requests: { 'ephemeral-storage': '32Mi' }, limits: { 'ephemeral-storage': '32Mi' } },
};

/**
 * A container pipeline of the Ferry image that tries a TCP connection to each target (NATS, the API
 * server, the gateway's upload port, and two servers outside the cluster: one on a port the job
 * policy allows, one on a port it does not), once a second for PROBE_ROUNDS seconds, and prints
 * what happened to each, one line a round (the NetworkPolicy case). Rounds, because a policy engine
 * applies a new pod's rules a moment after the pod starts: the first round can pass before them.
 */
const PROBE_ROUNDS = 8;
function probePipeline(outside: { allowedPort: number; blockedPort: number }) {
  const targets = {
    nats: ['ferry-nats.ferry.svc.cluster.local', 4222],
    apiserver: ['kubernetes.default.svc.cluster.local', 443],
    gateway: ['ferry-gateway.ferry.svc.cluster.local', 8080],
    outside: [OUTSIDE_IP, outside.allowedPort],
    blocked: [OUTSIDE_IP, outside.blockedPort],
  };
  return {
    name: 'probe',
    kind: 'container',
    description: 'Tries a TCP connection to each target once a second; prints what happened.',
    image: 'ferry:0.1.0',
    command: ['node', '-e', [
      "const net = require('node:net');",
      `const targets = ${JSON.stringify(targets)};`,
      'const probe = ([name, [host, port]]) => new Promise((resolve) => {',
      '  const socket = net.connect({ host, port, timeout: 900 });',
      "  socket.on('connect', () => { socket.destroy(); resolve(`${name}=open`); });",
      "  socket.on('timeout', () => { socket.destroy(); resolve(`${name}=timeout`); });",
      "  socket.on('error', (error) => resolve(`${name}=${error.code}`));",
      '});',
      `(async () => { for (let round = 1; round <= ${PROBE_ROUNDS}; round += 1) {`,
      '  const started = Date.now();',
      "  console.log(`probe ${round} ${(await Promise.all(Object.entries(targets).map(probe))).join(' ')}`);",
      '  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));',
      '} })();',
    ].join('\n')],
    args: [],
    paramsSchema: { type: 'object', additionalProperties: false },
    defaults: { timeoutSeconds: 60, maxAttempts: 1 },
  };
}

const SCALE_IN_WINDOW_SECONDS = 30;

const sales = generateSales(2000);
const expected = totalsByRegion(sales);

describe.skipIf(!enabled)('Ferry installed with helm on the real node (its image, its chart defaults, Pod Security restricted)', () => {
  let cluster: RunningCluster | undefined;
  let image: FerryImage;
  let kubectl: string;
  let helmBinary: string;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let api: Api;
  let apiKey: string;
  let natsToken: string;
  let natsUrl: string;
  let fixture: HttpFixture;
  let blocked: HttpFixture;
  let installOutput: string;
  let workDir: string;

  const kubectlRun = async (args: readonly string[]): Promise<string> =>
    (await run(kubectl, ['--kubeconfig', cluster!.adminKubeconfig, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  const submit = async (body: Record<string, unknown>): Promise<string> => {
    const answer = await api.post('/v1/jobs', body);
    if (answer.status !== 202) throw new Error(`POST /v1/jobs: ${answer.status} ${answer.text}`);
    return (answer.body as { id: string }).id;
  };
  const finalOf = (id: string, timeoutMs = 120_000): Promise<any> => waitForJob(api, id, isFinal, timeoutMs);
  const podsOf = async (selector: string, namespace = NAMESPACE): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace, labelSelector: selector })).items;
  const ready = (pod: V1Pod): boolean => pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;

  beforeAll(async () => {
    const started = Date.now();
    const built = await buildImage(log);
    image = built.image;
    log(`image ${image.reference} ${image.manifestDigest}, ${image.sizeBytes} bytes (${built.upToDate ? 'cached' : `built in ${image.buildSeconds} s`})`);
    helmBinary = await ensureHelm(log);
    cluster = await startCluster({ realNode: true, log });
    const node = cluster.node;
    if (node === undefined) throw new Error('startCluster({ realNode: true }) returned no node');
    kubectl = node.binaries.kubectl;
    await node.importImage(image.archive);
    const admin = client(cluster.adminKubeconfig);
    core = admin.makeApiClient(CoreV1Api);
    batch = admin.makeApiClient(BatchV1Api);
    // The jobs namespace is the chart's to create (jobs.createNamespace, Pod Security restricted).
    await core.createNamespace({ body: { metadata: { name: NAMESPACE, labels: PSA } } });
    // Sources outside the cluster: the sales CSV on a port the job policy is told to allow, as an
    // operator adds a source's port to networkPolicy.jobs.egressPorts; another server on a port it is not.
    fixture = await HttpFixture.start({ '/sales.csv': { contentType: 'text/csv', body: toCsv(sales) } }, OUTSIDE_IP);
    blocked = await HttpFixture.start({}, OUTSIDE_IP);
    const portOf = (server: HttpFixture): number => Number(new URL(server.url).port);

    // The chart's defaults and catalog, plus hog and probe; what differs is for this node: the NATS
    // image (built here), the DNS address job pods may query, and a shorter HPA scale-in window.
    workDir = await mkdtemp(join(tmpdir(), 'ferry-on-node-'));
    const chartValues = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as { pipelines: unknown[] };
    const valuesFile = join(workDir, 'values.yaml');
    await writeFile(valuesFile, stringify({
      nats: { embedded: { image: { repository: node.images.nats.name.split(':')[0], tag: node.images.nats.name.split(':')[1] } } },
      // Kubernetes' default waits 5 minutes below target before scaling in; the HPA case waits 30 s.
      gateway: { autoscaling: { behavior: { scaleDown: { stabilizationWindowSeconds: SCALE_IN_WINDOW_SECONDS } } } },
      pipelines: [...chartValues.pipelines, HOG, DISK_HOG, probePipeline({ allowedPort: portOf(fixture), blockedPort: portOf(blocked) })],
      // The node's DNS is CoreDNS on the bridge address, not a kube-dns pod: job pods may query it
      // there, as with NodeLocal DNSCache (values.yaml says so for networkPolicy.dns).
      networkPolicy: {
        dns: [{ ipBlock: { cidr: `${node.dnsAddress}/32` } }],
        jobs: { egressPorts: [{ port: 80, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }, { port: portOf(fixture), protocol: 'TCP' }] },
      },
    }));
    const installStarted = Date.now();
    const installed = await helm(helmBinary, ['install', RELEASE, CHART_DIR, '--kubeconfig', cluster.adminKubeconfig, '--namespace', NAMESPACE, '--values', valuesFile, '--wait', '--timeout', '10m']);
    if (installed.code !== 0) {
      const pods = await kubectlRun(['get', 'pods', '-A', '-o', 'wide']).catch((error: unknown) => String(error));
      const events = await kubectlRun(['get', 'events', '-A', '--sort-by=.lastTimestamp']).catch((error: unknown) => String(error));
      throw new Error(`helm install failed (${installed.code}):\n${installed.stderr}\n${pods}\n${events}`);
    }
    installOutput = installed.stdout;
    log(`helm install --wait: ${seconds(installStarted)}; beforeAll ${seconds(started)}`);

    apiKey = Buffer.from((await core.readNamespacedSecret({ namespace: NAMESPACE, name: `${RELEASE}-api-key` })).data?.['api-key'] ?? '', 'base64').toString();
    const gateway = await core.readNamespacedService({ namespace: NAMESPACE, name: `${RELEASE}-gateway` });
    api = new Api(`http://${gateway.spec?.clusterIP}:8080`, apiKey);
    natsToken = Buffer.from((await core.readNamespacedSecret({ namespace: NAMESPACE, name: `${RELEASE}-nats-auth` })).data?.['token'] ?? '', 'base64').toString();
    const nats = await core.readNamespacedService({ namespace: NAMESPACE, name: `${RELEASE}-nats` });
    natsUrl = `nats://${nats.spec?.clusterIP}:4222`;
  }, 30 * 60_000);

  afterAll(async () => {
    await fixture?.stop();
    await blocked?.stop();
    await cluster?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  }, 180_000);

  it('runs NATS, two gateways and two controllers as pods of the local images, as the chart\'s users, on ferry-node-0', async () => {
    // helm's --wait settles for the Deployments' minimum availability; every replica comes Ready soon after.
    let pods: V1Pod[] = [];
    const byComponent = (component: string): V1Pod[] => pods.filter((pod) => pod.metadata?.labels?.['app.kubernetes.io/component'] === component && ready(pod));
    await eventually('one NATS, two gateways and two controllers Ready', async () => {
      pods = await podsOf(`app.kubernetes.io/instance=${RELEASE}`);
      return byComponent('nats').length === 1 && byComponent('gateway').length === 2 && byComponent('controller').length === 2 ? true : undefined;
    }, 120_000);
    for (const pod of [...byComponent('gateway'), ...byComponent('controller')]) {
      expect(pod.spec?.nodeName).toBe('ferry-node-0');
      // CRI names an image by its config digest.
      expect(pod.status?.containerStatuses?.[0]?.imageID).toContain(image.configDigest);
      expect(pod.spec?.containers[0]?.securityContext).toMatchObject({ runAsUser: 10001, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    }
    const claim = (await core.listNamespacedPersistentVolumeClaim({ namespace: NAMESPACE })).items[0];
    expect(claim?.status?.phase).toBe('Bound');
    expect(claim?.spec?.storageClassName).toBe('local');
  });

  it('helm test passes: a pod of the image submits a sleep job through the gateway and sees it succeed', async () => {
    const started = Date.now();
    const tested = await helm(helmBinary, ['test', RELEASE, '--kubeconfig', cluster!.adminKubeconfig, '--namespace', NAMESPACE, '--logs', '--timeout', '5m']);
    log(`helm test: exit ${tested.code} in ${seconds(started)}\n${tested.stdout.split('\n').slice(0, 12).join('\n')}`);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(/Phase:\s+Succeeded/);
  }, 360_000);

  it('the NOTES lines work as printed: port-forward, the key from its Secret, a sleep job followed to its end', async () => {
    const lines = installOutput.split('\n').map((line) => line.trim());
    const portForward = lines.find((line) => line.startsWith('kubectl') && line.includes('port-forward'));
    expect(portForward).toBeDefined();
    // Typed in a shell whose kubectl is this cluster's: PATH and KUBECONFIG, as an operator has them.
    const env = { ...process.env, PATH: `${dirname(kubectl)}:${process.env['PATH'] ?? ''}`, KUBECONFIG: cluster!.adminKubeconfig };
    const forward: ChildProcess = spawn('bash', ['-c', portForward!.replace(/&$/, '').trim()], { env, stdio: 'ignore' });
    try {
      await eventually('the port-forward to answer', () => fetch('http://127.0.0.1:8080/healthz').then((answer) => (answer.ok ? true : undefined), () => undefined), 30_000);
      const start = lines.indexOf(lines.find((line) => line.startsWith('URL=')) ?? '');
      const end = lines.findIndex((line) => line.startsWith('kubectl') && line.includes('logs'));
      const script = lines.slice(start, end + 1).filter((line) => line !== '' && !line.startsWith('#') && !line.endsWith(':')).join('\n');
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${script.replace(/\\\n/g, ' ')}\necho "ID=$ID"`], { env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
      log(`NOTES as printed:\n${stdout.split('\n').slice(0, 30).join('\n')}`);
      const id = /^ID=(\S+)$/m.exec(stdout)?.[1];
      expect(id).toMatch(/^[0-9a-z-]{10,}$/);
      expect(stdout).toContain('event: state');
      expect(stdout).toMatch(/"state":"succeeded"/);
      expect(stdout).toContain(`ferry-${id}`);
      expect(stdout).toMatch(/sleep: done after 10(\.\d+)? s/);
    } finally {
      forward.kill();
    }
  }, 180_000);

  it('sql over a CSV served outside the cluster ranges: succeeded in a runner pod, the aggregate right, logs from the kubelet, progress seen', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'sql', params: { sources: { sales: { url: `${fixture.url}/sales.csv`, format: 'csv' } }, sql: SALES_BY_REGION_SQL } });
    // Followed from the start: a finished job's stream replays only its last state.
    const events = api.get(`/v1/jobs/${id}/events`);
    const final = await finalOf(id);
    log(`sql: ${final.state} ${final.reason ?? ''} in ${seconds(started)} (POST → succeeded, end to end)`);
    expect(final).toMatchObject({ state: 'succeeded', result: { contentType: 'text/csv', rows: expected.length } });
    const result = await api.get(`/v1/jobs/${id}/result`);
    expect(result.status).toBe(200);
    const [header, ...rows] = result.text.trim().split('\n');
    expect(header).toBe('region,orders,total');
    expect(rows.map((line) => {
      const [region, orders, total] = line.split(',');
      return { region, orders: Number(orders), total: Number(total) };
    })).toEqual(expected);
    const [pod] = await podsOf(`ferry.dev/job-id=${id}`, JOBS_NAMESPACE);
    expect(pod?.spec?.nodeName).toBe('ferry-node-0');
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    const logs = await api.get(`/v1/jobs/${id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.text).toContain('sql:');
    // The same lines from the kubelet, as `kubectl logs` shows them.
    expect(await kubectlRun(['-n', JOBS_NAMESPACE, 'logs', pod?.metadata?.name ?? ''])).toContain('::ferry:progress ');
    expect((await events).text).toContain('event: progress');
  }, 180_000);

  it('cancel stops the container with SIGTERM (exit 143), then the Job and its pod are deleted', async () => {
    const exits = new Map<string, number>();
    const watch = await new Watch(client(cluster!.adminKubeconfig)).watch(`/api/v1/namespaces/${JOBS_NAMESPACE}/pods`, {}, (_type: string, pod: V1Pod) => {
      const exitCode = pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode;
      if (exitCode !== undefined) exits.set(pod.metadata?.labels?.['ferry.dev/job-id'] ?? '', exitCode);
    }, () => undefined);
    try {
      const id = await submit({ pipeline: 'sleep', params: { seconds: 120 } });
      await waitForJob(api, id, (job) => job.state === 'running', 60_000);
      const started = Date.now();
      expect((await api.post(`/v1/jobs/${id}/cancel`)).status).toBe(202);
      expect(await finalOf(id)).toMatchObject({ state: 'cancelled', reason: 'Cancelled' });
      await eventually('the Job to be gone', async () => ((await batch.listNamespacedJob({ namespace: JOBS_NAMESPACE, labelSelector: `ferry.dev/job-id=${id}` })).items.length === 0 ? true : undefined), 60_000);
      await eventually('its pod to be gone', async () => ((await podsOf(`ferry.dev/job-id=${id}`, JOBS_NAMESPACE)).length === 0 ? true : undefined), 60_000);
      log(`cancel: cancelled, Job and pod gone in ${seconds(started)}; the container exited ${exits.get(id)}`);
      expect(exits.get(id)).toBe(143);
    } finally {
      watch.abort();
    }
  }, 180_000);

  it('a container past its memory limit: failed, reason OOMKilled, the limit named', async () => {
    const id = await submit({ pipeline: 'hog', params: {} });
    const final = await finalOf(id);
    log(`hog: ${final.state} ${final.reason} — ${final.message}`);
    expect(final).toMatchObject({ state: 'failed', reason: 'OOMKilled' });
    expect(final.message).toContain('96Mi');
  }, 180_000);

  it('a pod past its ephemeral-storage limit: evicted by the kubelet, the job failed once, reason DiskLimitExceeded, the limit named', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'disk-hog', params: {} });
    const final = await finalOf(id);
    log(`disk-hog: ${final.state} ${final.reason} in ${seconds(started)} — ${final.message}`);
    expect(final).toMatchObject({ state: 'failed', reason: 'DiskLimitExceeded', attempt: 1 });
    expect(final.message).toContain('32Mi');
  }, 240_000);

  it('timeoutSeconds: the Job\'s deadline ends the job failed, DeadlineExceeded', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'sleep', params: { seconds: 120 }, timeoutSeconds: 5 });
    const final = await finalOf(id);
    log(`deadline: ${final.state} ${final.reason} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'failed', reason: 'DeadlineExceeded' });
  }, 180_000);

  it('the controller pods deleted with --grace-period=0 --force while jobs run: every job ends once, succeeded', async () => {
    const ids = await Promise.all(Array.from({ length: 12 }, () => submit({ pipeline: 'sleep', params: { seconds: 8 } })));
    await eventually('some jobs running', async () => {
      const states = await Promise.all(ids.slice(0, 3).map(async (id) => (await api.get(`/v1/jobs/${id}`)).body.state as string));
      return states.includes('running') ? true : undefined;
    }, 60_000);
    const started = Date.now();
    log(await kubectlRun(['-n', NAMESPACE, 'delete', 'pod', '-l', 'app.kubernetes.io/component=controller', '--grace-period=0', '--force']));
    const report = await checkJobs(api, { servers: natsUrl, token: natsToken }, ids, 180_000);
    log(`controller force-deleted: ${JSON.stringify(report)} in ${seconds(started)}`);
    expect(report).toMatchObject({ accepted: 12, final: 12, lost: 0, duplicated: 0, regressed: 0, states: { succeeded: 12 } });
    await eventually('two controllers Ready again', async () => ((await podsOf('app.kubernetes.io/component=controller')).filter(ready).length === 2 ? true : undefined), 120_000);
  }, 300_000);

  it('the NATS pod deleted: the gateway answers 503 with Retry-After, then recovers; nothing acknowledged is lost', async () => {
    const accepted: string[] = [];
    const refused: { status: number; retryAfter: string | null }[] = [];
    // A connection the Service refused: what the gateways' readiness must never cause (decision 0003).
    const unanswered: string[] = [];
    let submitting = true;
    const submitter = (async () => {
      while (submitting) {
        const answer = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 } }).catch((error: Error) => {
          unanswered.push(String((error.cause as Error | undefined)?.message ?? error.message));
          return undefined;
        });
        if (answer?.status === 202) accepted.push((answer.body as { id: string }).id);
        else if (answer !== undefined) refused.push({ status: answer.status, retryAfter: answer.headers.get('retry-after') });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    await eventually('jobs accepted before the deletion', () => Promise.resolve(accepted.length >= 5 ? true : undefined), 30_000);
    const started = Date.now();
    log(await kubectlRun(['-n', NAMESPACE, 'delete', 'pod', `${RELEASE}-nats-0`, '--wait=false']));
    await eventually('a 503 while NATS is away', () => Promise.resolve(refused.length > 0 ? true : undefined), 120_000);
    const before = accepted.length;
    await eventually('the gateway accepting again', () => Promise.resolve(accepted.length >= before + 5 ? true : undefined), 180_000);
    submitting = false;
    await submitter;
    log(`NATS deleted: ${refused.length} refused (${[...new Set(refused.map((each) => `${each.status}/Retry-After ${each.retryAfter}`))].join(', ')}), ${unanswered.length} unanswered, recovered in ${seconds(started)}; ${accepted.length} accepted`);
    expect(refused.every((each) => each.status === 503 && each.retryAfter !== null)).toBe(true);
    expect(unanswered).toEqual([]);
    const report = await checkJobs(api, { servers: natsUrl, token: natsToken }, accepted, 240_000);
    log(`after the NATS restart: ${JSON.stringify(report)}`);
    expect(report).toMatchObject({ lost: 0, duplicated: 0, regressed: 0 });
    expect(report.states).toEqual({ succeeded: accepted.length });
  }, 600_000);
  it('the HPA scales the gateway out under load and back in after it; every replica answers the same for one job', async () => {
    const autoscaling = client(cluster!.adminKubeconfig).makeApiClient(AutoscalingV2Api);
    const hpa = (): Promise<V2HorizontalPodAutoscaler> => autoscaling.readNamespacedHorizontalPodAutoscaler({ namespace: NAMESPACE, name: `${RELEASE}-gateway` });
    const utilization = (found: V2HorizontalPodAutoscaler): number | undefined => found.status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
    // metrics-server → metrics.k8s.io → the HPA controller: the CPU it reads before any load.
    const idle = await eventually('the HPA to read the gateways\' CPU', async () => {
      const found = await hpa();
      return utilization(found) === undefined ? undefined : found;
    }, 180_000);
    log(`HPA idle: ${utilization(idle)}% of the CPU request, ${idle.status?.currentReplicas} replicas`);
    const id = await submit({ pipeline: 'sleep', params: { seconds: 1 } });
    await finalOf(id);

    // Lists of 200 from 16 loops on the host, through the Service (the rate limit answers the excess with 429s).
    let loading = true;
    const answers = new Map<number, number>();
    const loops = Array.from({ length: 16 }, async () => {
      while (loading) {
        const status = await api.get('/v1/jobs?limit=200').then((answer) => answer.status, () => 0);
        answers.set(status, (answers.get(status) ?? 0) + 1);
      }
    });
    const loadStarted = Date.now();
    let pods: V1Pod[] = [];
    let scaledOutAfter = 0;
    try {
      const out = await eventually('the HPA to want more than 2 gateways', async () => {
        const found = await hpa();
        return (found.status?.desiredReplicas ?? 0) > 2 ? found : undefined;
      }, 300_000);
      pods = await eventually(`${out.status?.desiredReplicas} gateways Ready`, async () => {
        const gateways = (await podsOf('app.kubernetes.io/component=gateway')).filter(ready);
        return gateways.length >= (out.status?.desiredReplicas ?? 3) ? gateways : undefined;
      }, 180_000);
      scaledOutAfter = Date.now() - loadStarted;
      log(`HPA scale-out: ${utilization(out)}% → ${out.status?.desiredReplicas} replicas wanted; ${pods.length} Ready ${seconds(loadStarted)} after the load began`);
    } finally {
      loading = false;
      await Promise.all(loops);
    }
    const loadEnded = Date.now();
    // Every replica, asked directly at its pod address, answers the same for the same job (asked
    // once the load has stopped: under it, the tenant's per-replica rate limit answers 429).
    const bodies = await Promise.all(pods.map((pod) => eventually(`pod ${pod.metadata?.name} to answer 200`, async () => {
      const answer = await new Api(`http://${pod.status?.podIP}:8080`, apiKey).get(`/v1/jobs/${id}`);
      return answer.status === 200 ? answer.text : undefined;
    }, 10_000)));
    expect(new Set(bodies).size).toBe(1);
    log(`HPA load: ${JSON.stringify(Object.fromEntries(answers))} (status → count)`);
    const back = await eventually('the HPA to scale back in to 2', async () => {
      const found = await hpa();
      return found.status?.currentReplicas === 2 && found.status.desiredReplicas === 2 ? found : undefined;
    }, 300_000);
    log(`HPA scale-in: back to ${back.status?.currentReplicas} replicas ${seconds(loadEnded)} after the load ended (scale-down window ${SCALE_IN_WINDOW_SECONDS} s); scale-out took ${(scaledOutAfter / 1000).toFixed(1)} s`);
  }, 900_000);

  it('NetworkPolicies enforced (kube-router): a job pod reaches the gateway\'s upload port and an outside source\'s port, not NATS, the API server or another outside port; with the policies off it reaches all', async () => {
    /** The probe's rounds, first to last, each `nats=… apiserver=… gateway=… outside=… blocked=…`. */
    const probe = async (): Promise<string[]> => {
      const id = await submit({ pipeline: 'probe', params: {} });
      expect(await finalOf(id)).toMatchObject({ state: 'succeeded' });
      const rounds = (await api.get(`/v1/jobs/${id}/logs`)).text.split('\n').flatMap((line) => /probe \d+ (.*)$/.exec(line)?.[1] ?? []);
      expect(rounds).toHaveLength(PROBE_ROUNDS);
      return rounds;
    };
    const policies = async (): Promise<number> => (await kubectlRun(['get', 'networkpolicies', '-A', '-o', 'name'])).split('\n').filter((name) => name !== '').length;
    expect(await policies()).toBeGreaterThan(0);
    const enforced = await probe();
    log(`NetworkPolicies on, the probe's rounds:\n  ${enforced.join('\n  ')}`);
    // Once kube-router has the pod's rules: NATS, the API server and an outside port not in
    // networkPolicy.jobs.egressPorts refused; the upload port and the source's port open.
    const refused = '(timeout|ECONNREFUSED|EHOSTUNREACH)';
    expect(enforced.at(-1)).toMatch(new RegExp(`^nats=${refused} apiserver=${refused} gateway=open outside=open blocked=${refused}$`));

    const upgrade = (enabled: boolean): Promise<unknown> => helm(helmBinary, ['upgrade', RELEASE, CHART_DIR, '--kubeconfig', cluster!.adminKubeconfig, '--namespace', NAMESPACE,
      '--reuse-values', '--set', `networkPolicy.enabled=${enabled}`, '--wait', '--timeout', '5m']).then((outcome) => {
      if (outcome.code !== 0) throw new Error(`helm upgrade networkPolicy.enabled=${enabled}: ${outcome.stderr}`);
    });
    await upgrade(false);
    try {
      expect(await policies()).toBe(0);
      const open = await probe();
      log(`NetworkPolicies off, the probe's rounds:\n  ${open.join('\n  ')}`);
      expect(new Set(open)).toEqual(new Set(['nats=open apiserver=open gateway=open outside=open blocked=open']));
    } finally {
      await upgrade(true);
    }
    expect(await policies()).toBeGreaterThan(0);
  }, 600_000);
});
