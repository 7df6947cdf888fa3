// Ferry's chart installed on the local control plane as an operator would: `helm install` (helm v4
// applies server-side, so the API server validates every object strictly) into a release namespace
// and a jobs namespace that both enforce Pod Security "restricted". kwok nodes run no containers, so
// the chart's Deployments never serve; the gateway and controller under test run as host processes,
// the controller with the token of the ServiceAccount the chart made (the real RBAC authorizer).
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import type { RunningCluster } from '../../../scripts/k8s-cluster/control-plane.ts';
import { CHART_DIR, helm } from '../../chart/support/chart.ts';
import { client } from './cluster-client.ts';
import { eventually } from '../../support/eventually.ts';

export const RELEASE_NAMESPACE = 'ferry';
export const JOBS_NAMESPACE = 'ferry-jobs';
const PSA = { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' };

export interface FerryRelease {
  /** A kubeconfig holding a token of the chart's `ferry-controller` ServiceAccount. */
  readonly controllerKubeconfig: string;
  /** What `helm install` printed (its STATUS line and NOTES). */
  readonly output: string;
}

/** `helm install` arguments for a release under test (its runner image is never pulled: kwok). */
export function chartArgs(kubeconfig: string): string[] {
  return ['--kubeconfig', kubeconfig, '--namespace', RELEASE_NAMESPACE, '--set', `jobs.namespace=${JOBS_NAMESPACE}`, '--set', 'image.repository=registry.example.com/ferry'];
}

export async function installFerryRelease(cluster: RunningCluster, helmBinary: string, chartDir: string = CHART_DIR): Promise<FerryRelease> {
  const core = client(cluster.adminKubeconfig).makeApiClient(CoreV1Api);
  // The jobs namespace is the chart's to create (jobs.createNamespace), under Pod Security restricted.
  await core.createNamespace({ body: { metadata: { name: RELEASE_NAMESPACE, labels: PSA } } });
  const installed = await helm(helmBinary, ['install', 'ferry', chartDir, ...chartArgs(cluster.adminKubeconfig)]);
  if (installed.code !== 0) throw new Error(`helm install failed (${installed.code}):\n${installed.stderr}`);
  const controllerKubeconfig = await cluster.serviceAccountKubeconfig(RELEASE_NAMESPACE, 'ferry-controller');
  // The authorizer reads Roles from an informer: wait until the controller may list Jobs.
  const asController = client(controllerKubeconfig).makeApiClient(BatchV1Api);
  await eventually('the controller ServiceAccount to list Jobs', () => asController.listNamespacedJob({ namespace: JOBS_NAMESPACE }).then((list) => list, () => undefined), 10_000);
  return { controllerKubeconfig, output: installed.stdout };
}
