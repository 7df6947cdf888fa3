// k8s/ is generated from the chart: `kustomize build` of each overlay equals `helm template` with
// that overlay's chart-values.yaml, and the committed files equal a fresh generation. When either
// fails, the chart changed without the manifests: run `node scripts/k8s-manifests.ts`.
import { join } from 'node:path';
import type { K8sTools } from '../../scripts/k8s-tools.ts';
import {
  K8S_DIR,
  manifestDrift,
  OVERLAYS,
  overlayValuesFile,
  parseResources,
  REGENERATE_COMMAND,
  resourceKey,
} from '../../scripts/k8s-manifests.ts';
import { kubeconform, podTemplates, renderChart, runTool, type Manifest } from './support/chart.ts';
import { ferryPodViolations, restrictedViolations } from './support/pod-security.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
beforeAll(async () => {
  tools = await k8sTools();
}, TOOLS_TIMEOUT_MS);

const STALE = `k8s/ is stale: regenerate it with \`${REGENERATE_COMMAND}\``;

async function kustomizeBuild(overlay: string): Promise<{ yaml: string; manifests: Manifest[] }> {
  const outcome = await runTool(tools.kustomize, ['build', join(K8S_DIR, 'overlays', overlay)]);
  if (outcome.code !== 0) throw new Error(`kustomize build k8s/overlays/${overlay} failed:\n${outcome.stderr}`);
  return { yaml: outcome.stdout, manifests: parseResources(outcome.stdout).map(({ manifest }) => manifest) };
}

function byKey(manifests: readonly Manifest[]): Map<string, Manifest> {
  return new Map(manifests.map((manifest) => [resourceKey(manifest), manifest]));
}

it('the committed k8s/ files are what the generator writes now', async () => {
  const drift = await manifestDrift(tools.helm);
  expect(drift, `${STALE}; differing: ${drift.join(', ')}`).toEqual([]);
});

describe.each(OVERLAYS)('k8s/overlays/%s', (overlay) => {
  it('builds with kustomize to exactly what helm template renders from its chart-values.yaml', async () => {
    const built = byKey((await kustomizeBuild(overlay)).manifests);
    const rendered = byKey(await renderChart(tools.helm, ['-f', overlayValuesFile(overlay)]));
    expect([...built.keys()].sort(), STALE).toEqual([...rendered.keys()].sort());
    for (const [key, manifest] of rendered) expect(built.get(key), `${key}: ${STALE}`).toEqual(manifest);
  });

  it('is valid (kubeconform -strict) and its pods pass Pod Security "restricted"', async () => {
    const { yaml, manifests } = await kustomizeBuild(overlay);
    const outcome = await kubeconform(tools.kubeconform, tools.schemas, yaml);
    expect(outcome.stdout + outcome.stderr).toMatch(/Invalid: 0, Errors: 0, Skipped: 0/);
    const problems = podTemplates(manifests).flatMap(({ owner, spec }) =>
      [...restrictedViolations(spec), ...ferryPodViolations(spec, { writesTmp: owner !== 'StatefulSet/ferry-nats' })].map(
        (problem) => `${owner}: ${problem}`,
      ),
    );
    expect(problems).toEqual([]);
  });

  it('generates no Secret (they are created by hand, see k8s/README.md) and no helm test', async () => {
    const { manifests } = await kustomizeBuild(overlay);
    expect(manifests.filter((manifest) => manifest.kind === 'Secret' || manifest.kind === 'Pod').map(resourceKey)).toEqual([]);
  });
});
