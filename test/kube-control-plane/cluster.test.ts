// Smoke test of the local control plane (issue 5, ADR 0007): a real kube-apiserver, Job controller,
// scheduler and RBAC authorizer, with kwok fake nodes. A cold build takes about 7 minutes (2 cores), so it
// runs only when asked: FERRY_TEST_K8S=1 npx vitest run --project integration test/kube-control-plane
import { AuthorizationV1Api, BatchV1Api, CoreV1Api, RbacAuthorizationV1Api, VersionApi, type V1EnvVar, type V1Job, type V1PodFailurePolicy } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { startCluster, KUBERNETES_RELEASE, type RunningCluster } from '../../scripts/k8s-cluster/control-plane.ts';
import { startPodAgent, type PodAgent } from './support/pod-agent.ts';
import { client } from './support/cluster-client.ts';
import { eventually } from '../support/eventually.ts';

const enabled = process.env['FERRY_TEST_K8S'] === '1';
const NAMESPACE = 'smoke';


function job(name: string, extra: { annotations?: Record<string, string>; labels?: Record<string, string>; command?: string[]; env?: V1EnvVar[]; nodeSelector?: Record<string, string>; activeDeadlineSeconds?: number; podFailurePolicy?: V1PodFailurePolicy; backoffLimit?: number }): V1Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: extra.backoffLimit ?? 0,
      ...(extra.activeDeadlineSeconds === undefined ? {} : { activeDeadlineSeconds: extra.activeDeadlineSeconds }),
      ...(extra.podFailurePolicy === undefined ? {} : { podFailurePolicy: extra.podFailurePolicy }),
      template: {
        metadata: { annotations: extra.annotations ?? {}, labels: extra.labels ?? {} },
        spec: {
          restartPolicy: 'Never',
          ...(extra.nodeSelector === undefined ? {} : { nodeSelector: extra.nodeSelector }),
          containers: [{ name: 'runner', image: 'ferry-runner:test', command: extra.command ?? ['true'], env: extra.env ?? [] }],
        },
      },
    },
  };
}

function condition(found: V1Job, type: string): { reason?: string; message?: string } | undefined {
  return found.status?.conditions?.find((entry) => entry.type === type && entry.status === 'True');
}

describe.skipIf(!enabled)('local control plane (kube-apiserver, Job controller, scheduler, kwok)', () => {
  let cluster: RunningCluster;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startCluster({ nodes: 2, log: (line) => console.log(`[k8s] ${line}`) });
    const total = cluster.timings['total'] ?? 0;
    console.log(`[k8s] binaries ${cluster.binaries.builtSeconds === undefined ? 'cached' : `built: ${JSON.stringify(cluster.binaries.builtSeconds)} s`}; ` +
      `start ${(total / 1000).toFixed(1)} s (${JSON.stringify(cluster.timings)}); beforeAll ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const admin = client(cluster.adminKubeconfig);
    batch = admin.makeApiClient(BatchV1Api);
    core = admin.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await eventually('the default ServiceAccount in the test namespace', async () => {
      try {
        return await core.readNamespacedServiceAccount({ namespace: NAMESPACE, name: 'default' });
      } catch {
        return undefined;
      }
    }, 60_000);
  }, 90 * 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it(`reports ${KUBERNETES_RELEASE} on /version`, async () => {
    const version = await client(cluster.adminKubeconfig).makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe(KUBERNETES_RELEASE);
    expect(version.major).toBe('1');
    expect(version.minor).toBe(KUBERNETES_RELEASE.split('.')[1]);
  });

  it('schedules a Job pod onto a kwok node and the real Job controller completes the Job', async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('smoke-complete', {}) });
    const done = await eventually('Job smoke-complete Complete', async () => {
      const found = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'smoke-complete' });
      return condition(found, 'Complete') === undefined ? undefined : found;
    }, 60_000);
    expect(done.status?.succeeded).toBe(1);
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=smoke-complete' });
    expect(pods.items).toHaveLength(1);
    expect(cluster.nodeNames).toContain(pods.items[0]?.spec?.nodeName);
    expect(pods.items[0]?.status?.phase).toBe('Succeeded');
  });

  it('fails a Job at once through podFailurePolicy FailJob when its pod exits 2 (kwok exit-code stage)', async () => {
    await batch.createNamespacedJob({
      namespace: NAMESPACE,
      body: job('smoke-exit-2', {
        backoffLimit: 5,
        annotations: { 'ferry.dev/kwok-exit-code': '2' },
        podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { containerName: 'runner', operator: 'In', values: [2] } }] },
      }),
    });
    const failed = await eventually('Job smoke-exit-2 Failed', async () => {
      const found = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'smoke-exit-2' });
      return condition(found, 'Failed') === undefined ? undefined : found;
    }, 60_000);
    expect(condition(failed, 'Failed')?.reason).toBe('PodFailurePolicy');
    // FailJob: no retry although backoffLimit allows five.
    expect(failed.status?.failed).toBe(1);
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=smoke-exit-2' });
    expect(pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(2);
  });

  it('validates fields server-side: Strict rejects an unknown field, Warn accepts it with a warning', async () => {
    // Raw requests: @kubernetes/client-node's serializer would drop the unknown field before sending it.
    const body = (name: string): unknown => ({
      ...job(name, {}),
      spec: { ...job(name, {}).spec, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'x', imagePullPolicyy: 'Never' }] } } },
    });
    const strict = await cluster.api('POST', `/apis/batch/v1/namespaces/${NAMESPACE}/jobs?fieldValidation=Strict`, body('smoke-strict'));
    expect(strict.status).toBe(400);
    expect(JSON.stringify(strict.body)).toMatch(/unknown field \\"spec.template.spec.containers\[0\].imagePullPolicyy\\"/);
    const warn = await cluster.api('POST', `/apis/batch/v1/namespaces/${NAMESPACE}/jobs?fieldValidation=Warn&dryRun=All`, body('smoke-warn'));
    expect(warn.status).toBe(201);
  });

  it('leaves a pod with an impossible node selector Pending, PodScheduled=False reason Unschedulable (the real scheduler)', async () => {
    await batch.createNamespacedJob({ namespace: NAMESPACE, body: job('smoke-unschedulable', { nodeSelector: { 'ferry.dev/no-such-node': 'true' } }) });
    const pod = await eventually('an Unschedulable pod', async () => {
      const pods = await core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: 'job-name=smoke-unschedulable' });
      const found = pods.items[0];
      return found?.status?.conditions?.some((entry) => entry.type === 'PodScheduled' && entry.status === 'False' && entry.reason === 'Unschedulable') === true ? found : undefined;
    }, 60_000);
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
    await batch.deleteNamespacedJob({ namespace: NAMESPACE, name: 'smoke-unschedulable', propagationPolicy: 'Background' });
  });

  it('answers SubjectAccessReviews from the real RBAC authorizer, and a minted ServiceAccount kubeconfig is held to its Role', async () => {
    const authz = client(cluster.adminKubeconfig).makeApiClient(AuthorizationV1Api);
    const user = `system:serviceaccount:${NAMESPACE}:smoke-controller`;
    const review = async (verb: string, resource: string): Promise<boolean> => {
      const answer = await authz.createSubjectAccessReview({
        body: { spec: { user, groups: ['system:serviceaccounts', `system:serviceaccounts:${NAMESPACE}`, 'system:authenticated'], resourceAttributes: { namespace: NAMESPACE, verb, group: 'batch', resource } } },
      });
      return answer.status?.allowed === true;
    };
    expect(await review('create', 'jobs')).toBe(false);

    const rbac = client(cluster.adminKubeconfig).makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: NAMESPACE,
      body: { metadata: { name: 'smoke-controller' }, rules: [{ apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'get', 'list', 'watch', 'delete'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'smoke-controller' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'smoke-controller' },
        subjects: [{ kind: 'ServiceAccount', name: 'smoke-controller', namespace: NAMESPACE }],
      },
    });
    await eventually('RBAC to allow create jobs', async () => ((await review('create', 'jobs')) ? true : undefined), 10_000);
    expect(await review('patch', 'jobs')).toBe(false);
    expect(await review('create', 'cronjobs')).toBe(false);

    // The same subject, for real: a TokenRequest-minted kubeconfig.
    const kubeconfig = await cluster.serviceAccountKubeconfig(NAMESPACE, 'smoke-controller');
    const asController = client(kubeconfig).makeApiClient(BatchV1Api);
    const listed = await asController.listNamespacedJob({ namespace: NAMESPACE });
    expect(listed.items.length).toBeGreaterThan(0);
    await expect(asController.listNamespacedCronJob({ namespace: NAMESPACE })).rejects.toMatchObject({ code: 403 });
    await expect(client(kubeconfig).makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: NAMESPACE })).rejects.toMatchObject({ code: 403 });

    // The audit log has the subject's requests at Metadata level (what the bench counts per job).
    const events = (await readFile(cluster.auditLog, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { level: string; verb: string; user: { username: string }; objectRef?: { resource?: string }; responseStatus?: { code?: number } });
    const mine = events.filter((event) => event.user.username === user);
    expect(mine.map((event) => [event.verb, event.objectRef?.resource, event.responseStatus?.code])).toEqual(
      expect.arrayContaining([
        ['list', 'jobs', 200],
        ['list', 'cronjobs', 403],
        ['list', 'secrets', 403],
      ]),
    );
    expect(new Set(mine.map((event) => event.level))).toEqual(new Set(['Metadata']));
    // kube-controller-manager's own controllers (kube-system ServiceAccounts) are not recorded.
    expect(events.some((event) => event.user.username.startsWith('system:serviceaccount:kube-system:'))).toBe(false);
  });

  describe('pod agent (runs a Job pod\'s command as a local process)', () => {
    let agent: PodAgent;
    beforeAll(async () => {
      agent = await startPodAgent({ kubeconfig: cluster.adminKubeconfig, namespace: NAMESPACE });
    });
    afterAll(async () => {
      await agent?.stop();
    });

    it('a pod labelled ferry.dev/pod-agent runs for real: exit 0 completes the Job, exit 3 fails it by podFailurePolicy', async () => {
      const labels = { 'ferry.dev/pod-agent': 'true' };
      await core.createNamespacedSecret({ namespace: NAMESPACE, body: { metadata: { name: 'agent-secret' }, stringData: { token: 's3cret' } } });
      // Exit 0 only if the env was resolved as the kubelet would: a fieldRef and a secretKeyRef.
      await batch.createNamespacedJob({
        namespace: NAMESPACE,
        body: job('agent-ok', {
          labels,
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'agent-secret', key: 'token' } } },
          ],
          command: ['sh', '-c', 'test "$TOKEN" = s3cret || exit 8; case "$POD_NAME" in agent-ok-*) echo "ran as $POD_NAME"; exit 0;; esac; exit 9'],
        }),
      });
      await batch.createNamespacedJob({
        namespace: NAMESPACE,
        body: job('agent-exit-3', {
          labels,
          backoffLimit: 4,
          command: ['sh', '-c', 'exit 3'],
          podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [3] } }] },
        }),
      });
      const ok = await eventually('Job agent-ok Complete', async () => {
        const found = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'agent-ok' });
        return condition(found, 'Complete') === undefined ? undefined : found;
      }, 60_000);
      expect(ok.status?.succeeded).toBe(1);
      const failed = await eventually('Job agent-exit-3 Failed', async () => {
        const found = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'agent-exit-3' });
        return condition(found, 'Failed') === undefined ? undefined : found;
      }, 60_000);
      expect(condition(failed, 'Failed')?.reason).toBe('PodFailurePolicy');
      expect(agent.runs().map((run) => [run.pod.replace(/-[a-z0-9]{5}$/, ''), run.exitCode]).sort()).toEqual([
        ['agent-exit-3', 3],
        ['agent-ok', 0],
      ]);
      expect(agent.runs().find((run) => run.pod.startsWith('agent-ok-'))?.output).toMatch(/^ran as agent-ok-/);
    });

    it('activeDeadlineSeconds fails the Job with DeadlineExceeded and the agent kills the running process', async () => {
      await batch.createNamespacedJob({
        namespace: NAMESPACE,
        body: job('agent-deadline', { labels: { 'ferry.dev/pod-agent': 'true' }, activeDeadlineSeconds: 2, command: ['sleep', '60'] }),
      });
      const failed = await eventually('Job agent-deadline Failed', async () => {
        const found = await batch.readNamespacedJob({ namespace: NAMESPACE, name: 'agent-deadline' });
        return condition(found, 'Failed') === undefined ? undefined : found;
      }, 60_000);
      expect(condition(failed, 'Failed')?.reason).toBe('DeadlineExceeded');
      const run = await eventually('the sleep process to end', () => Promise.resolve(agent.runs().find((each) => each.pod.startsWith('agent-deadline-'))), 20_000);
      expect(run.exitCode).toBe(128 + 15);
    });
  });
});
