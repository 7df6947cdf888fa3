import { KubernetesExecutor, type JobManifestSettings, type KubernetesExecutorOptions } from '@ferry/executor-kubernetes';
import { FAKE_NAMESPACE, FakeApiServer } from './fake-apiserver.ts';
import { RecordingSink } from './kube-objects.ts';

export const MANIFEST: Omit<JobManifestSettings, 'namespace'> = {
  runnerImage: 'ghcr.io/ferry/ferry:test',
  runnerCommand: ['node', 'apps/runner/dist/main.js'],
  serviceAccountName: 'ferry-runner',
  gatewayUrl: 'http://ferry-gateway.ferry.svc:8080/',
  resultSecret: 'test-secret-that-is-long-enough-0123456789',
  runnerEnv: { FERRY_DUCKDB_THREADS: '1' },
  runnerUid: 10001,
  ephemeralStorage: { request: '1Gi', limit: '4Gi' },
};

export interface Harness {
  readonly fake: FakeApiServer;
  readonly sink: RecordingSink;
  readonly executor: KubernetesExecutor;
  close(): Promise<void>;
}

/** Executor options against this fake, with every timer short enough for a test. */
export function executorOptions(fake: FakeApiServer, overrides: Partial<KubernetesExecutorOptions> = {}): KubernetesExecutorOptions {
  return {
    kubeConfig: fake.kubeConfig(),
    namespace: FAKE_NAMESPACE,
    manifest: MANIFEST,
    finishedTtlSeconds: 600,
    watchdogMs: 60_000,
    resyncMs: 60_000,
    logRetryMs: 20,
    watchRestartMs: 20,
    logDrainMs: 3000,
    ...overrides,
  };
}

/** A fake API server and an executor watching it. */
export async function startHarness(options: Partial<KubernetesExecutorOptions> = {}, prepare?: (fake: FakeApiServer) => void): Promise<Harness> {
  const fake = await FakeApiServer.start();
  prepare?.(fake);
  const sink = new RecordingSink();
  const executor = new KubernetesExecutor(executorOptions(fake, options), sink);
  return {
    fake,
    sink,
    executor,
    close: async () => {
      await executor.close();
      await fake.close();
    },
  };
}
