// Ferry end to end on the local control plane (issue 5, ADR 0007): nats, the gateway and the controller
// run as host processes; the controller (FERRY_EXECUTOR=kubernetes) talks to the real kube-apiserver
// with its chart ServiceAccount's token (the real RBAC authorizer), the real Job controller drives the
// Jobs, and the pod agent runs each Job pod's runner as a local process that uploads to the gateway.
// Runs only when asked: FERRY_TEST_K8S=1 npx vitest run --project integration test/kube-control-plane/ferry-on-cluster.test.ts
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as https from 'node:https';
import { startCluster, type RunningCluster } from '../../scripts/k8s-cluster/control-plane.ts';
import { CHART_DIR, helm } from '../chart/support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from '../chart/support/tools.ts';
import type { Api } from '../support/api.ts';
import { checkJobs } from '../support/checker.ts';
import { HttpFixture } from '../support/http-fixture.ts';
import { RUNNER_MAIN } from '../support/paths.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';
import { startPodAgent, type PodAgent } from './support/pod-agent.ts';
import { agentOutput, startKubeletLogs, type KubeletLogs } from './support/kubelet-logs.ts';
import { chartArgs, installFerryRelease, JOBS_NAMESPACE, RELEASE_NAMESPACE } from './support/ferry-release.ts';
import { client } from './support/cluster-client.ts';
import { eventually } from '../support/eventually.ts';
import { countByRequest, requestsOf, type AuditEvent } from './support/audit-log.ts';
import { generateSales, SALES_BY_REGION_SQL, toCsv, totalsByRegion } from '../support/sales-fixture.ts';

const enabled = process.env['FERRY_TEST_K8S'] === '1';
/** The cluster suites' catalog: the test catalog plus `nowhere`, a pipeline no node can take. */
const CATALOG = join(import.meta.dirname, 'fixtures', 'catalog.yaml');
/** A finished job may wait for its pods' logs up to the executor's drain time (30 s). */
const FINAL_MS = 60_000;


function condition(found: V1Job | undefined, type: string): { reason?: string; message?: string } | undefined {
  return found?.status?.conditions?.find((entry) => entry.type === type && entry.status === 'True');
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

// The sql case: a generated table and its aggregate, computed here independently of DuckDB.
const sales = generateSales(2000);
const expected = totalsByRegion(sales);

describe.skipIf(!enabled)('Ferry on the local control plane (real API server, Job controller, RBAC; pod agent runs the runner)', () => {
  let cluster: RunningCluster;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  let agent: PodAgent;
  let kubelet: KubeletLogs;
  let system: FerrySystem;
  let api: Api;
  let fixture: HttpFixture;
  const agentLog: string[] = [];
  let sleepJob: { id: string; pod: string } | undefined;

  const k8sJob = async (id: string): Promise<V1Job | undefined> => {
    try {
      return await batch.readNamespacedJob({ namespace: JOBS_NAMESPACE, name: `ferry-${id}` });
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  };
  const jobsOf = async (id: string): Promise<V1Job[]> => (await batch.listNamespacedJob({ namespace: JOBS_NAMESPACE, labelSelector: `ferry.dev/job-id=${id}` })).items;
  const podsOf = async (id: string): Promise<V1Pod[]> => (await core.listNamespacedPod({ namespace: JOBS_NAMESPACE, labelSelector: `job-name=ferry-${id}` })).items;
  const rawLog = async (pod: string, accept: string): Promise<{ status: number; body: string }> => {
    const config = client(cluster.adminKubeconfig);
    const url = new URL(`${cluster.apiserverUrl}/api/v1/namespaces/${JOBS_NAMESPACE}/pods/${pod}/log?container=job&timestamps=true`);
    const options: https.RequestOptions = { method: 'GET', headers: { Accept: accept } };
    await config.applyToHTTPSOptions(options);
    return new Promise((resolve, reject) => {
      const outgoing = https.request(url, options, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      outgoing.once('error', reject);
      outgoing.end();
    });
  };
  const controllerAudit = (): Promise<AuditEvent[]> => requestsOf(cluster.auditLog, `system:serviceaccount:${RELEASE_NAMESPACE}:ferry-controller`);
  const submit = async (body: unknown): Promise<string> => {
    const response = await api.post('/v1/jobs', body);
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    return (response.body as { id: string }).id;
  };
  const finalOf = async (id: string, timeoutMs = FINAL_MS): Promise<any> => {
    try {
      return await waitForJob(api, id, isFinal, timeoutMs);
    } catch (error) {
      console.log(`[ferry-on-cluster] controller output:\n${system.controller.output.slice(-8000)}\n[agent]\n${agentLog.slice(-40).join('\n')}`);
      throw error;
    }
  };

  beforeAll(async () => {
    const started = Date.now();
    const [tools, running] = await Promise.all([k8sTools(), startCluster({ nodes: 1, log: (line) => console.log(`[k8s] ${line}`) })]);
    cluster = running;
    const admin = client(cluster.adminKubeconfig);
    batch = admin.makeApiClient(BatchV1Api);
    core = admin.makeApiClient(CoreV1Api);
    const release = await installFerryRelease(cluster, tools.helm);
    console.log(`[ferry-on-cluster] helm install: ${release.output.split('\n').find((line) => line.startsWith('STATUS')) ?? release.output.slice(0, 200)}`);
    const controllerKubeconfig = release.controllerKubeconfig;

    agent = await startPodAgent({ kubeconfig: cluster.adminKubeconfig, namespace: JOBS_NAMESPACE, log: (line) => agentLog.push(line) });
    kubelet = await startKubeletLogs(agentOutput(agent));
    fixture = await HttpFixture.start({ '/sales.csv': { contentType: 'text/csv', body: toCsv(sales) } });
    system = await FerrySystem.start({
      gatewayEnv: { FERRY_PIPELINES: CATALOG },
      controllerEnv: {
        FERRY_PIPELINES: CATALOG,
        FERRY_EXECUTOR: 'kubernetes',
        KUBECONFIG: controllerKubeconfig,
        FERRY_JOBS_NAMESPACE: JOBS_NAMESPACE,
        FERRY_RUNNER_SERVICE_ACCOUNT: 'ferry-runner',
        FERRY_RUNNER_IMAGE: 'registry.example.com/ferry:test',
        FERRY_RUNNER_CONTAINER_COMMAND: JSON.stringify([process.execPath, RUNNER_MAIN]),
        FERRY_JOB_POD_LABELS: JSON.stringify({ 'ferry.dev/pod-agent': 'true' }),
        LOG_LEVEL: 'info',
      },
    });
    api = system.api();
    console.log(`[ferry-on-cluster] cluster up in ${((cluster.timings['total'] ?? 0) / 1000).toFixed(1)} s; beforeAll ${seconds(started)}`);
  }, TOOLS_TIMEOUT_MS + 10 * 60_000);
  afterAll(async () => {
    await system?.stop();
    await kubelet?.stop();
    await agent?.stop();
    await fixture?.stop();
    await cluster?.stop();
  });

  it('helm install: the release is deployed and its objects exist; a chart with an unknown field is refused by the API server', async () => {
    const tools = await k8sTools();
    const status = await helm(tools.helm, ['status', 'ferry', '--kubeconfig', cluster.adminKubeconfig, '--namespace', RELEASE_NAMESPACE, '-o', 'json']);
    expect(status.code, status.stderr).toBe(0);
    const release = JSON.parse(status.stdout) as { info: { status: string }; apply_method?: string };
    expect(release.info.status).toBe('deployed');
    expect(release.apply_method).toBe('ssa');
    const deployments = (await client(cluster.adminKubeconfig).makeApiClient(AppsV1Api).listNamespacedDeployment({ namespace: RELEASE_NAMESPACE })).items;
    expect(deployments.map((deployment) => deployment.metadata?.name).sort()).toEqual(['ferry-controller', 'ferry-gateway']);

    // The same chart with one unknown field planted in the gateway Deployment, as a second release.
    const planted = await mkdtemp(join(tmpdir(), 'ferry-chart-'));
    try {
      await cp(CHART_DIR, planted, { recursive: true });
      const template = join(planted, 'templates', 'gateway', 'deployment.yaml');
      const text = await readFile(template, 'utf8');
      expect(text).toMatch(/^spec:$/m);
      await writeFile(template, text.replace(/^spec:$/m, 'spec:\n  replicaz: 1'));
      // A second release into the same jobs namespace: the first one made it.
      const refused = await helm(tools.helm, ['install', 'planted', planted, ...chartArgs(cluster.adminKubeconfig), '--set', 'fullnameOverride=planted', '--set', 'jobs.createNamespace=false']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/replicaz/);
      console.log(`[ferry-on-cluster] planted unknown field: ${refused.stderr.trim().split('\n').at(-1) ?? ''}`);
    } finally {
      await helm(tools.helm, ['uninstall', 'planted', '--kubeconfig', cluster.adminKubeconfig, '--namespace', RELEASE_NAMESPACE, '--ignore-not-found']);
      await rm(planted, { recursive: true, force: true });
    }
  }, 120_000);

  it('sleep 1 s: one real Job ferry-<id>, its pod run by the agent, the Job controller completes it, Ferry records succeeded', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'sleep', params: { seconds: 1 } });
    const final = await finalOf(id);
    console.log(`[ferry-on-cluster] sleep: ${final.state} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect(final.executor).toEqual({ kind: 'kubernetes', name: `ferry-${id}`, namespace: JOBS_NAMESPACE });
    const jobs = await jobsOf(id);
    expect(jobs.map((job) => job.metadata?.name)).toEqual([`ferry-${id}`]);
    expect(condition(jobs[0], 'Complete')).toBeDefined();
    expect(jobs[0]?.status?.succeeded).toBe(1);
    const pods = await podsOf(id);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status?.phase).toBe('Succeeded');
    const run = agent.runs().find((each) => each.pod === pods[0]?.metadata?.name);
    expect(run?.exitCode).toBe(0);
    sleepJob = { id, pod: pods[0]?.metadata?.name ?? '' };
    // Once Ferry recorded the end it hands the Job to the TTL controller (merge patch, as its ServiceAccount).
    await eventually('ttlSecondsAfterFinished on the Job', async () => ((await k8sJob(id))?.spec?.ttlSecondsAfterFinished === 86_400 ? true : undefined), 10_000);

    // The kubelet stand-in answers through the real API server with the runner's lines (Accept as kubectl sends it)…
    const direct = await rawLog(sleepJob.pod, 'application/json, */*');
    expect(direct.status).toBe(200);
    expect(direct.body).toMatch(/^\S+Z runner: job \S+ attempt current: pipeline sleep/m);
    expect(direct.body).toMatch(/sleep: done after 1(\.\d+)? s/);
    // (`Accept: text/plain` is refused with 406 by the API server: Ferry once sent it; see pod-log.request.ts.)
    const plain = await rawLog(sleepJob.pod, 'text/plain');
    expect(plain.status).toBe(406);
    // Ferry's own log reads, as its ServiceAccount (audit log), are answered 200.
    const reads = (await controllerAudit()).filter((event) => event.objectRef?.subresource === 'log' && event.objectRef.name === sleepJob?.pod);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((event) => event.responseStatus?.code)).toContain(200);
    expect(reads[0]?.requestURI).toMatch(/\/log\?container=job&follow=true&timestamps=true$/);
    console.log(`[ferry-on-cluster] sleep: ${reads.length} pods/log reads by the controller; kubelet stand-in served ${kubelet.served.length}`);
  }, 120_000);

  it('logs: GET /v1/jobs/{id}/logs has the runner lines read from the Log API', async () => {
    if (sleepJob === undefined) throw new Error('the sleep case did not run');
    const logs = await api.get(`/v1/jobs/${sleepJob.id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.text).toMatch(/sleep: done after 1(\.\d+)? s/);
  });

  it.concurrent('fail exit 2 (maxAttempts 3): failed at once by podFailurePolicy FailJob, one pod', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'fail', params: { exitCode: 2 }, maxAttempts: 3 });
    const final = await finalOf(id);
    console.log(`[ferry-on-cluster] fail 2: ${final.state} ${final.reason} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'failed', attempt: 1 });
    const job = await k8sJob(id);
    expect(job?.spec?.backoffLimit).toBe(2);
    expect(condition(job, 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(job?.status?.failed).toBe(1);
    const pods = await podsOf(id);
    expect(pods).toHaveLength(1);
    expect(pods[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(2);
    expect(final.reason).toBe('ExitCode');
  }, 120_000);

  it.concurrent('cancel of a running sleep 60: the Job is deleted (its pods with it) and Ferry records cancelled', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'sleep', params: { seconds: 60 } });
    await waitForJob(api, id, (job) => job.state === 'running', 30_000);
    const pod = await eventually('the agent to run the pod', () => Promise.resolve(agentLog.find((line) => line.includes(`/ferry-${id}-`) && line.includes(': started '))));
    expect((await api.post(`/v1/jobs/${id}/cancel`)).status).toBe(202);
    const final = await finalOf(id);
    console.log(`[ferry-on-cluster] cancel: ${final.state} ${final.reason} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'cancelled', reason: 'Cancelled' });
    await eventually('the Job to be gone', async () => ((await k8sJob(id)) === undefined ? true : undefined));
    await eventually('its pods to be gone (background propagation)', async () => ((await podsOf(id)).length === 0 ? true : undefined));
    const run = await eventually('the runner process to end', () => Promise.resolve(agent.runs().find((each) => each.pod.startsWith(`ferry-${id}-`))), 40_000);
    expect(run.exitCode).not.toBe(0);
    expect(pod).toBeDefined();
    const deletes = (await controllerAudit()).filter((event) => event.verb === 'delete' && event.objectRef?.resource === 'jobs' && event.objectRef.name === `ferry-${id}`);
    expect(deletes.map((event) => event.responseStatus?.code)).toContain(200);
    console.log(`[ferry-on-cluster] cancel: DELETE ${deletes.map((event) => `${event.requestURI} → ${event.responseStatus?.code ?? '?'}`).join(', ')}; runner exit ${run.exitCode}`);
  }, 120_000);

  it.concurrent('sql over a CSV on a loopback HTTP server: succeeded, the result equals the aggregate', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'sql', params: { sources: { sales: { url: `${fixture.url}/sales.csv`, format: 'csv' } }, sql: SALES_BY_REGION_SQL } });
    const final = await finalOf(id);
    console.log(`[ferry-on-cluster] sql: ${final.state} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'succeeded', result: { contentType: 'text/csv', rows: expected.length } });
    const result = await api.get(`/v1/jobs/${id}/result`);
    expect(result.status).toBe(200);
    const [header, ...lines] = result.text.trim().split('\n');
    expect(header).toBe('region,orders,total');
    const got = lines.map((line) => {
      const [region, orders, total] = line.split(',');
      return { region, orders: Number(orders), total: Number(total) };
    });
    expect(got).toEqual(expected);
  }, 120_000);

  it.concurrent('fail exit 75 (maxAttempts 2): two pods, attempt 2, failed BackoffLimitExceeded', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'fail', params: { exitCode: 75 }, maxAttempts: 2 });
    const final = await finalOf(id, 90_000);
    console.log(`[ferry-on-cluster] fail 75: ${final.state} ${final.reason} attempt ${final.attempt} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'failed', attempt: 2, reason: 'BackoffLimitExceeded' });
    const job = await k8sJob(id);
    expect(condition(job, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(job?.status?.failed).toBe(2);
    const pods = await podsOf(id);
    expect(pods).toHaveLength(2);
    expect(pods.map((pod) => pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode)).toEqual([75, 75]);
  }, 150_000);

  it.concurrent('timeoutSeconds 2 on sleep 30: DeadlineExceeded', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'sleep', params: { seconds: 30 }, timeoutSeconds: 2 });
    const final = await finalOf(id);
    console.log(`[ferry-on-cluster] timeout: ${final.state} ${final.reason} in ${seconds(started)}`);
    expect(final).toMatchObject({ state: 'failed', reason: 'DeadlineExceeded' });
    const job = await k8sJob(id);
    expect(job?.spec?.activeDeadlineSeconds).toBe(2);
    expect(condition(job, 'Failed')?.reason).toBe('DeadlineExceeded');
  }, 120_000);

  it.concurrent('a pod no node can take: Unschedulable while it waits, failed StartDeadlineExceeded at the start deadline, its Job deleted', async () => {
    const started = Date.now();
    const id = await submit({ pipeline: 'nowhere', params: { seconds: 1 } });
    const waiting = await waitForJob(api, id, (job) => job.reason === 'Unschedulable' || isFinal(job), 30_000);
    expect(waiting).toMatchObject({ state: 'starting', reason: 'Unschedulable' });
    expect(waiting.message).toMatch(/node\(s\) didn't match Pod's node affinity\/selector/);
    const final = await finalOf(id);
    console.log(`[ferry-on-cluster] unschedulable: ${final.state} ${final.reason} in ${seconds(started)}: ${final.message}`);
    expect(final).toMatchObject({ state: 'failed', reason: 'StartDeadlineExceeded' });
    expect(final.message).toContain('within 8s (Unschedulable');
    const elapsed = Date.parse(final.finishedAt) - Date.parse(final.createdAt);
    expect(elapsed).toBeGreaterThanOrEqual(8_000);
    await eventually('the Job to be deleted', async () => ((await k8sJob(id)) === undefined ? true : undefined), 30_000);
  }, 120_000);

  it.concurrent('kill -9 of the controller mid-flight, then a new one: every job final once, one Job and one pod each', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 4; index += 1) ids.push(await submit({ pipeline: 'sleep', params: { seconds: 3 } }));
    await waitForJob(api, ids[0] ?? '', (job) => job.state === 'running', 30_000);
    // More work arrives just before the crash: some of it is not yet a Job when the controller dies.
    for (let index = 0; index < 4; index += 1) ids.push(await submit({ pipeline: 'sleep', params: { seconds: 1 } }));
    const started = Date.now();
    await system.controller.kill('SIGKILL');
    system.controller = system.startController();
    const finals = await Promise.all(ids.map((id) => finalOf(id, 90_000)));
    console.log(`[ferry-on-cluster] controller kill: ${ids.length} jobs final ${seconds(started)} after the kill: ${finals.map((job) => job.state).join(' ')}`);
    expect(finals.map((job) => job.state)).toEqual(ids.map(() => 'succeeded'));
    expect(finals.map((job) => job.attempt)).toEqual(ids.map(() => 1));
    for (const id of ids) {
      expect((await jobsOf(id)).map((job) => job.metadata?.name)).toEqual([`ferry-${id}`]);
      expect(await podsOf(id)).toHaveLength(1);
    }
    const report = await checkJobs(api, system.nats.url, ids, 10_000);
    console.log(`[ferry-on-cluster] controller kill: ${JSON.stringify(report)}`);
    expect(report).toMatchObject({ final: ids.length, lost: 0, duplicated: 0, regressed: 0 });
  }, 180_000);

  it('the controller ServiceAccount was never refused (no 401/403 in the audit log) and made no unexpected failing request', async () => {
    const events = await controllerAudit();
    expect(events.length).toBeGreaterThan(0);
    const refused = events.filter((event) => event.responseStatus?.code === 401 || event.responseStatus?.code === 403);
    expect(refused.map((event) => `${event.verb} ${event.requestURI}`)).toEqual([]);
    // Expected and handled: a create that finds its Job already there (409 AlreadyExists is success, the
    // start is idempotent), and log reads the kubelet cannot serve (a container not started yet, a pod
    // being deleted), which are retried. (A TTL patch of a Job being deleted once drew a 404 here: Jobs
    // that have not ended are no longer patched.)
    const isExpected = (event: (typeof events)[number]): boolean =>
      (event.verb === 'create' && event.responseStatus?.code === 409) || event.objectRef?.subresource === 'log';
    const failed = events.filter((event) => (event.responseStatus?.code ?? 0) >= 400 && !isExpected(event));
    console.log(`[ferry-on-cluster] controller requests: ${events.length}; by verb/resource: ${JSON.stringify(countByRequest(events))}`);
    expect(failed.map((event) => `${event.verb} ${event.requestURI} → ${event.responseStatus?.code ?? '?'}`)).toEqual([]);
  });
});
