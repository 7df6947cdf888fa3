// The chart wires the processes the way their code reads them: every environment variable it sets
// is one the gateway or controller declares, the files it names are mounted, the catalog it ships is
// the repo's and loads, the runner gets the same image and its ServiceAccount.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { topologyFromEnv } from '@ferry/nats';
import { parseCatalog } from '@ferry/pipelines';
import { loadControllerConfig } from '../../apps/controller/src/config/controller.config.ts';
import { loadGatewayConfig } from '../../apps/gateway/src/config/gateway.config.ts';
import type { K8sTools } from '../../scripts/k8s-tools.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { CHART_DIR, find, podTemplates, renderChart, type Container, type Manifest } from './support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
beforeAll(async () => {
  tools = await k8sTools();
}, TOOLS_TIMEOUT_MS);

/** What both processes read through libs/nats: the topology and the NATS connection. */
const SHARED_CONFIGS = ['libs/nats/src/nats.config.ts', 'libs/nats/src/nats.connection.ts'];

/** The variable names `Type.Object({ NAME: Type.… })` env schemas declare: the process's own and the topology's. */
async function declaredEnv(configFile: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of [configFile, ...SHARED_CONFIGS]) {
    const source = await readFile(join(REPO_ROOT, file), 'utf8');
    for (const match of source.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*Type\./gm)) names.add(match[1] ?? '');
  }
  return names;
}

function container(manifests: readonly Manifest[], deployment: string): Container {
  const pod = podTemplates(manifests).find(({ owner }) => owner === `Deployment/${deployment}`);
  const found = pod?.spec.containers[0];
  if (found === undefined) throw new Error(`no container in Deployment ${deployment}`);
  return found;
}

/** Value sets that change the environment: defaults, external NATS with credentials, Kueue and source ranges. */
const VARIANTS = [[], ['-f', join(CHART_DIR, 'ci', 'external-nats-values.yaml')], ['-f', join(CHART_DIR, 'ci', 'kueue-values.yaml')]];

/** The environment a container would see: Secret references become a placeholder secret, fieldRefs the namespace. */
function resolvedEnv(target: Container): NodeJS.ProcessEnv {
  return Object.fromEntries(
    (target.env ?? []).map((variable) => {
      if (variable.value !== undefined) return [variable.name, variable.value];
      const from = variable.valueFrom as { secretKeyRef?: unknown; fieldRef?: unknown } | undefined;
      return [variable.name, from?.fieldRef !== undefined ? 'ferry' : 'a-secret-value-of-at-least-32-characters'];
    }),
  );
}

function env(target: Container): Map<string, { value?: string; valueFrom?: unknown }> {
  return new Map((target.env ?? []).map((variable) => [variable.name, variable]));
}

describe('environment', () => {
  it.each([
    ['ferry-gateway', 'apps/gateway/src/config/gateway.config.ts'],
    ['ferry-controller', 'apps/controller/src/config/controller.config.ts'],
  ])('every variable %s gets is one its config declares', async (deployment, configFile) => {
    const declared = await declaredEnv(configFile);
    expect(declared.size).toBeGreaterThan(5);
    for (const args of VARIANTS) {
      const names = [...env(container(await renderChart(tools.helm, args), deployment)).keys()];
      expect(names.filter((name) => !declared.has(name))).toEqual([]);
    }
  });

  it("passes the gateway's and the controller's own config validation, as Kubernetes would set it", async () => {
    for (const args of VARIANTS) {
      const manifests = await renderChart(tools.helm, args);
      const gateway = loadGatewayConfig(resolvedEnv(container(manifests, 'ferry-gateway')));
      expect(gateway).toMatchObject({ PORT: 8080, HOST: '0.0.0.0', FERRY_PIPELINES: '/etc/ferry/pipelines/catalog.yaml' });
      const controller = loadControllerConfig(resolvedEnv(container(manifests, 'ferry-controller')));
      expect(controller).toMatchObject({
        FERRY_EXECUTOR: 'kubernetes',
        FERRY_SOURCE_ALLOW_LOOPBACK: 'false',
        FERRY_JOB_TTL_SECONDS: 86_400,
      });
    }
  });

  it('gives the gateway and the controller one NATS topology, from retention values set once', async () => {
    const manifests = await renderChart(tools.helm, ['--set', 'retention.seconds=3600', '--set', 'retention.idempotencyTtlSeconds=600']);
    const gateway = topologyFromEnv(resolvedEnv(container(manifests, 'ferry-gateway')));
    expect(gateway).toMatchObject({ retentionSeconds: 3600, eventsMaxAgeSeconds: 3600, idempotencyTtlSeconds: 600 });
    expect(topologyFromEnv(resolvedEnv(container(manifests, 'ferry-controller')))).toEqual(gateway);
  });

  it('points the controller at the gateway, the runner image and ServiceAccount, and the jobs namespace', async () => {
    const manifests = await renderChart(tools.helm, ['-f', join(CHART_DIR, 'ci', 'jobs-namespace-values.yaml')]);
    const controller = container(manifests, 'ferry-controller');
    const variables = env(controller);
    const value = (name: string): string | undefined => variables.get(name)?.value;
    expect(value('FERRY_EXECUTOR')).toBe('kubernetes');
    expect(value('FERRY_GATEWAY_URL')).toBe('http://ferry-gateway.ferry.svc:8080');
    expect(find(manifests, 'Service', 'ferry-gateway')['spec']).toMatchObject({
      ports: [{ name: 'http', port: 8080, targetPort: 'http' }],
    });
    expect(value('FERRY_JOBS_NAMESPACE')).toBe('etl-jobs');
    expect(value('FERRY_RUNNER_IMAGE')).toBe(controller.image);
    expect(controller.image).toBe(
      'registry.example.com/ferry/ferry@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
    );
    expect(value('FERRY_RUNNER_SERVICE_ACCOUNT')).toBe('ferry-runner');
    expect(value('FERRY_RUNNER_CONTAINER_COMMAND')).toBe('["node","/app/apps/runner/dist/main.js"]');
    expect(value('FERRY_RUNNER_UID')).toBe('10001');
    expect(find(manifests, 'ServiceAccount', 'ferry-runner').metadata.namespace).toBe('etl-jobs');
    expect(value('FERRY_JOB_TTL_SECONDS')).toBe('3600');
    expect(value('FERRY_SOURCE_ALLOW_LOOPBACK')).toBe('false');
    expect(variables.get('POD_NAMESPACE')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(variables.has('FERRY_KUEUE_QUEUE_NAME')).toBe(false);
  });

  it('sets the Kueue queue and the allowed source ranges only when given', async () => {
    const variables = env(container(await renderChart(tools.helm, ['-f', join(CHART_DIR, 'ci', 'kueue-values.yaml')]), 'ferry-controller'));
    expect(variables.get('FERRY_KUEUE_QUEUE_NAME')?.value).toBe('ferry-batch');
    expect(variables.get('FERRY_SOURCE_ALLOW_CIDRS')?.value).toBe('10.20.0.0/16');
  });

  it('shares one result secret and NATS credentials between gateway and controller; NATS_URL comes first', async () => {
    for (const args of [[], ['-f', join(CHART_DIR, 'ci', 'external-nats-values.yaml')]]) {
      const manifests = await renderChart(tools.helm, args);
      const gateway = env(container(manifests, 'ferry-gateway'));
      const controller = env(container(manifests, 'ferry-controller'));
      for (const name of ['NATS_URL', 'NATS_USER', 'NATS_PASSWORD', 'NATS_TOKEN', 'FERRY_RESULT_SECRET'])
        expect(gateway.get(name), name).toEqual(controller.get(name));
      // k8s/README.md patches NATS_URL by position (env/0) in both Deployments.
      expect(container(manifests, 'ferry-gateway').env?.[0]?.name).toBe('NATS_URL');
      expect(container(manifests, 'ferry-controller').env?.[0]?.name).toBe('NATS_URL');
    }
    const external = env(
      container(await renderChart(tools.helm, ['-f', join(CHART_DIR, 'ci', 'external-nats-values.yaml')]), 'ferry-gateway'),
    );
    expect(external.get('NATS_URL')?.value).toBe('nats://nats.nats.svc:4222');
    expect(external.get('NATS_PASSWORD')?.valueFrom).toEqual({
      secretKeyRef: { name: 'ferry-nats-credentials', key: 'password', optional: true },
    });
    expect(external.get('FERRY_RESULT_SECRET')?.valueFrom).toEqual({ secretKeyRef: { name: 'ferry-result-secret', key: 'result-secret' } });
  });

  it('gives the embedded NATS server the same token as its clients', async () => {
    const manifests = await renderChart(tools.helm);
    const statefulSet = podTemplates(manifests).find(({ owner }) => owner === 'StatefulSet/ferry-nats');
    const server = new Map((statefulSet?.spec.containers[0]?.env ?? []).map((variable) => [variable.name, variable]));
    expect(server.get('NATS_TOKEN')).toEqual(env(container(manifests, 'ferry-gateway')).get('NATS_TOKEN'));
    expect(server.get('NATS_TOKEN')?.valueFrom).toEqual({ secretKeyRef: { name: 'ferry-nats-auth', key: 'token' } });
  });
});

describe('the gateway', () => {
  it('listens on 0.0.0.0:8080 and reads its key file and catalog from mounted volumes', async () => {
    for (const args of [[], ['-f', join(CHART_DIR, 'ci', 'external-nats-values.yaml')]]) {
      const manifests = await renderChart(tools.helm, args);
      const deployment = podTemplates(manifests).find(({ owner }) => owner === 'Deployment/ferry-gateway');
      const gateway = container(manifests, 'ferry-gateway');
      const variables = env(gateway);
      expect(variables.get('HOST')?.value).toBe('0.0.0.0');
      expect(variables.get('PORT')?.value).toBe('8080');
      const mountOf = (file: string | undefined): { volume: Record<string, unknown> | undefined; relative: string } => {
        const mount = gateway.volumeMounts?.find((candidate) => file?.startsWith(`${candidate.mountPath}/`));
        return {
          volume: deployment?.spec.volumes?.find((volume) => volume.name === mount?.name),
          relative: file?.slice((mount?.mountPath.length ?? 0) + 1) ?? '',
        };
      };
      const keys = mountOf(variables.get('FERRY_API_KEYS_FILE')?.value);
      const keySecret = keys.volume?.['secret'] as { secretName: string; items: Array<{ key: string; path: string }> };
      expect(keySecret.items.map((item) => item.path)).toEqual([keys.relative]);
      if (args.length === 0) {
        const secret = find(manifests, 'Secret', keySecret.secretName);
        expect(Object.keys(secret['data'] as object)).toContain(keySecret.items[0]?.key);
      } else {
        expect(keySecret).toEqual({ secretName: 'ferry-api-keys', items: [{ key: 'keys', path: 'api-keys' }] });
      }
      const catalog = mountOf(variables.get('FERRY_PIPELINES')?.value);
      const configMap = find(manifests, 'ConfigMap', (catalog.volume?.['configMap'] as { name: string }).name);
      expect(Object.keys(configMap['data'] as object)).toEqual([catalog.relative]);
    }
  });

  it('is probed on /readyz and /healthz', async () => {
    const gateway = container(await renderChart(tools.helm), 'ferry-gateway') as Container &
      Record<string, { httpGet: { path: string; port: string } }>;
    expect(gateway['readinessProbe']?.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(gateway['livenessProbe']?.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it('leaves replicas to the HPA when autoscaling, and sets them when not', async () => {
    const scaled = await renderChart(tools.helm);
    expect((find(scaled, 'Deployment', 'ferry-gateway')['spec'] as { replicas?: number }).replicas).toBeUndefined();
    expect(find(scaled, 'HorizontalPodAutoscaler', 'ferry-gateway')['spec']).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'ferry-gateway' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    const fixed = await renderChart(tools.helm, ['-f', join(CHART_DIR, 'ci', 'no-hpa-values.yaml')]);
    expect((find(fixed, 'Deployment', 'ferry-gateway')['spec'] as { replicas?: number }).replicas).toBe(3);
    expect(fixed.some((manifest) => manifest.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(find(fixed, 'PodDisruptionBudget', 'ferry-gateway')['spec']).toMatchObject({ minAvailable: 2 });
  });

  it('is scraped by a ServiceMonitor where the API exists, else by annotations', async () => {
    const monitored = await renderChart(tools.helm, ['-f', join(CHART_DIR, 'ci', 'no-networkpolicy-servicemonitor-values.yaml')]);
    expect(find(monitored, 'ServiceMonitor', 'ferry-gateway')['spec']).toMatchObject({
      endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
    });
    const defaults = await renderChart(tools.helm);
    const annotations = (
      find(defaults, 'Deployment', 'ferry-gateway')['spec'] as { template: { metadata: { annotations: Record<string, string> } } }
    ).template.metadata.annotations;
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8080', 'prometheus.io/path': '/metrics' });
  });
});

describe('the controller', () => {
  it('runs 2 replicas by default with a surge-first rolling update (a standby always exists)', async () => {
    const spec = find(await renderChart(tools.helm), 'Deployment', 'ferry-controller')['spec'] as { replicas: number; strategy: object };
    expect(spec.replicas).toBe(2);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });
});

describe('the pipeline catalog', () => {
  it("is the repo's pipelines/catalog.yaml by default, and loads as a catalog", async () => {
    const repoCatalog = parse(await readFile(join(REPO_ROOT, 'pipelines', 'catalog.yaml'), 'utf8')) as { pipelines: unknown[] };
    const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as { pipelines: unknown[] };
    expect(values.pipelines).toEqual(repoCatalog.pipelines);

    const rendered =
      (find(await renderChart(tools.helm), 'ConfigMap', 'ferry-pipelines')['data'] as Record<string, string>)['catalog.yaml'] ?? '';
    expect(parse(rendered)).toEqual(repoCatalog);
    const catalog = parseCatalog(rendered, 'ConfigMap ferry-pipelines');
    expect(catalog.summaries().map((pipeline) => pipeline.name)).toEqual(['sql', 'sleep', 'fail']);
  });
});
