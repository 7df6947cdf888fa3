// What kwok's containers "print": nothing, once they have ended. kwok completes pods by its stages
// and runs no process, so a kubelet's answer for such a container is an empty log — but, like a real
// kubelet, a follow request stays open while the container runs. A pod informer (admin) says when.
import { CoreV1Api, makeInformer, type V1Pod } from '@kubernetes/client-node';
import { client } from './cluster-client.ts';
import type { ContainerOutput } from './kubelet-logs.ts';

export interface KwokPodOutput {
  readonly output: ContainerOutput;
  stop(): Promise<void>;
}

const ended = (pod: V1Pod): boolean =>
  pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.status?.containerStatuses?.[0]?.state?.terminated !== undefined;

export async function watchKwokPodOutput(kubeconfig: string, namespace: string): Promise<KwokPodOutput> {
  const config = client(kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const finished = new Set<string>();
  const informer = makeInformer(config, `/api/v1/namespaces/${namespace}/pods`, () => core.listNamespacedPod({ namespace }));
  const record = (pod: V1Pod): void => {
    // A deleted pod's follow request ends too (its container is gone).
    if (ended(pod) || pod.metadata?.deletionTimestamp != null) finished.add(pod.metadata?.name ?? '');
  };
  informer.on('add', record);
  informer.on('update', record);
  informer.on('delete', (pod) => finished.add(pod.metadata?.name ?? ''));
  let stopped = false;
  informer.on('error', () => {
    if (!stopped) setTimeout(() => void informer.start(), 500);
  });
  await informer.start();
  return {
    output: (podNamespace, pod) => (podNamespace === namespace && finished.has(pod) ? '' : undefined),
    async stop() {
      stopped = true;
      await informer.stop();
    },
  };
}
