import { ensureK8sTools, type K8sTools } from '../../../scripts/k8s-tools.ts';

/** Building helm, kubeconform and kustomize from source on a cold machine takes a few minutes. */
export const TOOLS_TIMEOUT_MS = 15 * 60_000;

let tools: Promise<K8sTools> | undefined;

/**
 * helm, kubeconform, kustomize and the Kubernetes schemas, found in the cache or installed once
 * (scripts/k8s-tools.ts). Logs how long it took, so a cold install's cost shows in the test output.
 */
export function k8sTools(): Promise<K8sTools> {
  tools ??= (async () => {
    const started = performance.now();
    let installed = false;
    const result = await ensureK8sTools((line) => {
      installed = true;
      console.log(`[k8s-tools] ${line}`);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`[k8s-tools] ${installed ? 'installed' : 'cached'}: ready in ${seconds} s`);
    return result;
  })();
  return tools;
}
