// The Helm chart against the real kube-apiserver of the local control plane (ADR 0007): every rendered
// object is created with server-side field validation Strict into namespaces that enforce Pod Security
// `restricted`, every pod template is also judged as a bare Pod (dryRun), and the controller's and
// runner's ServiceAccounts are held to exactly the Role the chart grants by the real RBAC authorizer.
// Runs only when asked: FERRY_TEST_K8S=1 npx vitest run --project integration test/kube-control-plane
import { AuthorizationV1Api, BatchV1Api, CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { join } from 'node:path';
import { startCluster, type RunningCluster } from '../../scripts/k8s-cluster/control-plane.ts';
import { CHART_DIR, podTemplates, RELEASE_NAME, renderChart, VALUE_SETS, type Manifest } from '../chart/support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from '../chart/support/tools.ts';
import { apiError, strictObjects, type StrictObjects } from './support/strict-objects.ts';
import { client } from './support/cluster-client.ts';
import { eventually } from '../support/eventually.ts';

const enabled = process.env['FERRY_TEST_K8S'] === '1';
const IMAGE = ['--set', 'image.repository=registry.example.com/ferry'];
const PSA = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };

interface Render {
  readonly name: string;
  /** helm --namespace (the release namespace); release name is always `ferry`. */
  readonly namespace: string;
  readonly args: readonly string[];
  manifests: Manifest[];
}

// Each render goes into namespaces of its own (created fresh, PSA restricted), so none collide.
const RENDERS: Render[] = [
  { name: 'defaults', namespace: 'ferry', args: [...IMAGE], manifests: [] },
  {
    name: 'external NATS by URL',
    namespace: 'ferry-external-url',
    args: [...IMAGE, '--set', 'nats.embedded.enabled=false', '--set', 'nats.external.url=nats://nats.nats.svc:4222'],
    manifests: [],
  },
  // Every charts/ferry/ci/*.yaml, among them jobs-namespace-values.yaml (jobs in etl-jobs).
  ...VALUE_SETS.filter(([name]) => name !== 'defaults').map(([name, args]): Render => ({
    name,
    namespace: `ferry-${name.replace(/^ci\//, 'ci-').replace(/-values\.yaml$/, '').replace(/[^a-z0-9-]/g, '-')}`,
    args: [...IMAGE, ...args],
    manifests: [],
  })),
];
const JOBS_NAMESPACE_RENDER = 'ci/jobs-namespace-values.yaml';
/** Kinds served only by CRDs this cluster does not have; each render's skips are logged. */
const EXPECTED_MISSING_KINDS = new Set(['monitoring.coreos.com/v1/ServiceMonitor']);


function objectName(manifest: { kind?: string; metadata?: { namespace?: string; name?: string } }): string {
  return `${manifest.kind ?? '?'} ${manifest.metadata?.namespace ?? '-'}/${manifest.metadata?.name ?? '?'}`;
}

/**
 * A pod template as a bare Pod, named after its owner so it never collides with a real object. A
 * StatefulSet's volumeClaimTemplates become persistentVolumeClaim volumes named as its controller
 * names them (<template>-<statefulset>-0), as in the pods it creates.
 */
function barePod(owner: Manifest, template: Record<string, unknown>, namespace: string): KubernetesObject & Record<string, unknown> {
  const ownerSpec = owner['spec'] as
    | { template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }; volumeClaimTemplates?: Array<{ metadata: { name: string } }> }
    | undefined;
  const claims = owner.kind === 'StatefulSet' ? (ownerSpec?.volumeClaimTemplates ?? []) : [];
  const spec =
    claims.length === 0
      ? template
      : {
          ...template,
          volumes: [
            ...((template['volumes'] as unknown[] | undefined) ?? []),
            ...claims.map((claim) => ({ name: claim.metadata.name, persistentVolumeClaim: { claimName: `${claim.metadata.name}-${owner.metadata.name}-0` } })),
          ],
        };
  const podTemplate = ownerSpec?.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${owner.metadata.name}-${owner.kind.toLowerCase()}-template`,
      namespace,
      ...(podTemplate?.metadata?.labels === undefined ? {} : { labels: podTemplate.metadata.labels }),
      ...(podTemplate?.metadata?.annotations === undefined ? {} : { annotations: podTemplate.metadata.annotations }),
    },
    spec,
  };
}

describe.skipIf(!enabled)('the Helm chart on the real API server (Strict field validation, Pod Security restricted, RBAC)', () => {
  let cluster: RunningCluster;
  let admin: KubeConfig;
  let objects: StrictObjects;
  let core: CoreV1Api;
  /** apiVersion/kind → served by this API server. */
  const served = new Map<string, boolean>();

  async function isServed(apiVersion: string, kind: string): Promise<boolean> {
    const id = `${apiVersion}/${kind}`;
    const known = served.get(id);
    if (known !== undefined) return known;
    const answer = await cluster.api('GET', apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);
    const resources = (answer.body as { resources?: Array<{ kind: string }> } | undefined)?.resources ?? [];
    const found = answer.status === 200 && resources.some((resource) => resource.kind === kind);
    served.set(id, found);
    return found;
  }

  beforeAll(async () => {
    const started = Date.now();
    const [tools, running] = await Promise.all([k8sTools(), startCluster({ nodes: 1, log: (line) => console.log(`[k8s] ${line}`) })]);
    cluster = running;
    console.log(`[k8s] cluster up in ${((cluster.timings['total'] ?? 0) / 1000).toFixed(1)} s; beforeAll ${((Date.now() - started) / 1000).toFixed(1)} s`);
    admin = client(cluster.adminKubeconfig);
    objects = strictObjects(admin);
    core = admin.makeApiClient(CoreV1Api);
    await Promise.all(
      RENDERS.map(async (render) => {
        render.manifests = await renderChart(tools.helm, [...render.args, '--namespace', render.namespace]);
      }),
    );
    const namespaces = new Set(RENDERS.flatMap((render) => [render.namespace, ...render.manifests.map((manifest) => manifest.metadata.namespace ?? render.namespace)]));
    // A render's jobs namespace is one of its own objects (created first, below); the rest are made here.
    const rendered = new Set(RENDERS.flatMap((render) => render.manifests.filter((manifest) => manifest.kind === 'Namespace').map((manifest) => manifest.metadata.name)));
    for (const namespace of namespaces) {
      if (!rendered.has(namespace)) await core.createNamespace({ body: { metadata: { name: namespace, labels: PSA } } });
    }
    for (const render of RENDERS) {
      for (const namespace of render.manifests.filter((manifest) => manifest.kind === 'Namespace')) await objects.create(namespace);
    }
    // Pods that name no ServiceAccount need `default`, which kube-controller-manager adds a moment later.
    await Promise.all(
      [...namespaces].map((namespace) =>
        eventually(`ServiceAccount default in ${namespace}`, async () => {
          try {
            return await core.readNamespacedServiceAccount({ namespace, name: 'default' });
          } catch {
            return undefined;
          }
        }),
      ),
    );
  }, TOOLS_TIMEOUT_MS + 10 * 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('renders every value set into the namespaces asked for (release ferry)', () => {
    for (const render of RENDERS) {
      expect(render.manifests.length, render.name).toBeGreaterThan(5);
      const inRelease = render.manifests.filter((manifest) => manifest.kind === 'Deployment');
      expect(inRelease.map((manifest) => manifest.metadata.namespace), render.name).toEqual(inRelease.map(() => render.namespace));
      expect(inRelease.every((manifest) => manifest.metadata.name.startsWith(`${RELEASE_NAME}-`))).toBe(true);
    }
    expect(RENDERS.find((render) => render.name === 'defaults')?.namespace).toBe('ferry');
    const external = RENDERS.find((render) => render.name === 'external NATS by URL')?.manifests ?? [];
    expect(external.some((manifest) => manifest.kind === 'StatefulSet')).toBe(false);
    const jobsNamespace = RENDERS.find((render) => render.name === JOBS_NAMESPACE_RENDER)?.manifests ?? [];
    expect(jobsNamespace.find((manifest) => manifest.kind === 'Role')?.metadata.namespace).toBe('etl-jobs');
    expect(CHART_DIR).toBe(join(import.meta.dirname, '..', '..', 'charts', 'ferry'));
  });

  it.each(RENDERS.map((render) => [render.name, render] as const))(
    '%s: every object is created with fieldValidation=Strict, every pod template passes Pod Security restricted (enforce)',
    async (_name, render) => {
      const rejected: string[] = [];
      const skipped: string[] = [];
      for (const manifest of render.manifests.filter((each) => each.kind !== 'Namespace')) {
        if (!(await isServed(manifest.apiVersion, manifest.kind))) {
          skipped.push(`${objectName(manifest)} (${manifest.apiVersion}: no such API on this server, its CRD is not installed)`);
          expect(EXPECTED_MISSING_KINDS, `unexpectedly unserved kind ${manifest.apiVersion}/${manifest.kind}`).toContain(`${manifest.apiVersion}/${manifest.kind}`);
          continue;
        }
        try {
          await objects.create(manifest);
        } catch (error) {
          const { code, message } = apiError(error);
          rejected.push(`${objectName(manifest)}: ${code} ${message}`);
        }
      }
      // Deployments and StatefulSets are only warned at enforce level; a bare Pod gets the verdict.
      const templates = podTemplates(render.manifests).filter(({ owner }) => !owner.startsWith('Pod/'));
      expect(templates.length).toBeGreaterThan(0);
      for (const { owner, spec } of templates) {
        const ownerManifest = render.manifests.find((manifest) => `${manifest.kind}/${manifest.metadata.name}` === owner);
        if (ownerManifest === undefined) throw new Error(`no owner ${owner}`);
        const pod = barePod(ownerManifest, spec, ownerManifest.metadata.namespace ?? render.namespace);
        try {
          await objects.create(pod, 'All');
        } catch (error) {
          const { code, message } = apiError(error);
          rejected.push(`${owner}'s pod template as a bare Pod (dryRun): ${code} ${message}`);
        }
      }
      if (skipped.length > 0) console.log(`[chart-on-apiserver] ${render.name}: skipped ${skipped.join('; ')}`);
      expect(rejected).toEqual([]);
      console.log(`[chart-on-apiserver] ${render.name}: ${render.manifests.length - skipped.length} objects created, ${templates.length} pod templates admitted, ${skipped.length} skipped`);
    },
  );

  it('the same path rejects what it must: a planted unknown field (400) and a privileged pod (403, Pod Security)', async () => {
    const defaults = RENDERS[0]?.manifests ?? [];
    const deployment = defaults.find((manifest) => manifest.kind === 'Deployment' && manifest.metadata.name === 'ferry-controller');
    if (deployment === undefined) throw new Error('no Deployment ferry-controller in the default render');
    const spec = deployment['spec'] as { template: { spec: { containers: Array<Record<string, unknown>> } } };
    const planted = structuredClone({ ...deployment, metadata: { ...deployment.metadata, name: 'ferry-planted' } }) as unknown as KubernetesObject & Record<string, unknown>;
    const plantedContainers = (planted['spec'] as typeof spec).template.spec.containers;
    plantedContainers[0] = { ...plantedContainers[0], imagePullPolicyy: 'Always' };
    const strict = await objects.create(planted).then(
      () => undefined,
      (error: unknown) => apiError(error),
    );
    expect(strict?.code).toBe(400);
    expect(strict?.message).toMatch(/unknown field "spec\.template\.spec\.containers\[0\]\.imagePullPolicyy"/);

    const privileged = structuredClone(barePod(deployment, spec.template.spec as unknown as Record<string, unknown>, 'ferry'));
    const privilegedContainers = (privileged['spec'] as { containers: Array<Record<string, unknown>> }).containers;
    privilegedContainers[0] = { ...privilegedContainers[0], securityContext: { privileged: true } };
    const psa = await objects.create(privileged, 'All').then(
      () => undefined,
      (error: unknown) => apiError(error),
    );
    expect(psa?.code).toBe(403);
    expect(psa?.message).toMatch(/violates PodSecurity "restricted:latest"/);
  });

  describe.each([
    ['defaults', 'ferry', 'ferry-jobs', 'ferry-external-url'],
    [JOBS_NAMESPACE_RENDER, 'ferry-ci-jobs-namespace', 'etl-jobs', 'ferry-ci-jobs-namespace'],
  ] as const)('RBAC of the %s render (release namespace %s, jobs namespace %s, elsewhere %s)', (_render, releaseNamespace, jobsNamespace, otherNamespace) => {
    type Row = readonly [verb: string, group: string, resource: string, subresource: string, namespace: string];
    const granted: Row[] = [
      ...['create', 'list', 'watch', 'patch', 'delete'].map((verb): Row => [verb, 'batch', 'jobs', '', jobsNamespace]),
      ['list', '', 'pods', '', jobsNamespace],
      ['watch', '', 'pods', '', jobsNamespace],
      ['get', '', 'pods', 'log', jobsNamespace],
    ];
    const denied: Row[] = [
      ['get', 'batch', 'jobs', '', jobsNamespace],
      ['update', 'batch', 'jobs', '', jobsNamespace],
      ['deletecollection', 'batch', 'jobs', '', jobsNamespace],
      ['patch', 'batch', 'jobs', 'status', jobsNamespace],
      ['get', '', 'pods', '', jobsNamespace],
      ['delete', '', 'pods', '', jobsNamespace],
      ['create', '', 'pods', '', jobsNamespace],
      ['create', '', 'pods', 'exec', jobsNamespace],
      ['list', '', 'pods', 'log', jobsNamespace],
      ['get', '', 'secrets', '', jobsNamespace],
      ['list', '', 'secrets', '', jobsNamespace],
      ['get', '', 'configmaps', '', jobsNamespace],
      ['list', '', 'configmaps', '', jobsNamespace],
      ['create', '', 'configmaps', '', jobsNamespace],
      ['get', 'coordination.k8s.io', 'leases', '', jobsNamespace],
      ['create', 'coordination.k8s.io', 'leases', '', jobsNamespace],
      ['update', 'coordination.k8s.io', 'leases', '', jobsNamespace],
      ['create', 'batch', 'cronjobs', '', jobsNamespace],
      ['list', 'batch', 'cronjobs', '', jobsNamespace],
      // Everything granted, anywhere else (including cluster-wide).
      ...granted.map(([verb, group, resource, subresource]): Row => [verb, group, resource, subresource, otherNamespace]),
      ...granted.map(([verb, group, resource, subresource]): Row => [verb, group, resource, subresource, '']),
    ];
    const controller = `system:serviceaccount:${releaseNamespace}:ferry-controller`;
    const runner = `system:serviceaccount:${jobsNamespace}:ferry-runner`;
    const describeRow = ([verb, group, resource, subresource, namespace]: Row): string =>
      `${verb} ${group === '' ? 'core' : group}/${resource}${subresource === '' ? '' : `/${subresource}`} in ${namespace === '' ? '(all namespaces)' : namespace}`;

    async function allowed(user: string, [verb, group, resource, subresource, namespace]: Row): Promise<boolean> {
      const saNamespace = user.split(':')[2] ?? '';
      const answer = await admin.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: {
          spec: {
            user,
            groups: ['system:serviceaccounts', `system:serviceaccounts:${saNamespace}`, 'system:authenticated'],
            resourceAttributes: { verb, group, resource, ...(subresource === '' ? {} : { subresource }), ...(namespace === '' ? {} : { namespace }) },
          },
        },
      });
      return answer.status?.allowed === true;
    }

    it('the controller ServiceAccount may do exactly what its Role grants, the runner nothing (SubjectAccessReview)', async () => {
      // The authorizer reads Roles from an informer: wait until the chart's Role is visible.
      await eventually(`${controller} to be allowed ${describeRow(granted[0] as Row)}`, async () => ((await allowed(controller, granted[0] as Row)) ? true : undefined), 10_000);
      const table = async (user: string, rows: readonly Row[]): Promise<string[]> =>
        Promise.all(rows.map(async (row) => `${(await allowed(user, row)) ? 'allowed' : 'denied '} ${describeRow(row)}`));
      expect(await table(controller, granted)).toEqual(granted.map((row) => `allowed ${describeRow(row)}`));
      expect(await table(controller, denied)).toEqual(denied.map((row) => `denied  ${describeRow(row)}`));
      const everything = [...granted, ...denied];
      expect(await table(runner, everything)).toEqual(everything.map((row) => `denied  ${describeRow(row)}`));
    });

    it('a TokenRequest kubeconfig of the controller ServiceAccount lists Jobs and is refused Secrets (403)', async () => {
      const kubeconfig = await cluster.serviceAccountKubeconfig(releaseNamespace, 'ferry-controller');
      const asController = client(kubeconfig);
      const listed = await asController.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: jobsNamespace });
      expect(listed.items).toEqual([]);
      await expect(asController.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: jobsNamespace })).rejects.toMatchObject({ code: 403 });
      await expect(asController.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: otherNamespace })).rejects.toMatchObject({ code: 403 });
    });
  });
});
