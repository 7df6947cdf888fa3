import { KubeConfig } from '@kubernetes/client-node';

/** A client-node config from a kubeconfig file the harness wrote (admin or a ServiceAccount's). */
export function client(kubeconfig: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return config;
}
