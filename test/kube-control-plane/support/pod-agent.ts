// The "test agent" of issue 5 (ADR 0007): a stand-in kubelet for kwok nodes that really runs a Job
// pod's container as a local process, so a job's result is real while scheduling, the Job controller
// and RBAC stay the real ones.
//
// It polls pods that carry `ferry.dev/pod-agent: "true"` (kwok's stages leave those Running and
// never complete them: scripts/k8s-cluster/kwok-stages.yaml). For each pod kwok has made Running on
// a node, it runs the first container's command + args (or what `commandFor` maps the image to)
// with the container's env resolved the way the kubelet would (value, fieldRef, secretKeyRef,
// configMapKeyRef, envFrom), then
// writes the terminal status back through the pod's /status subresource: phase Succeeded or Failed,
// the container terminated with the real exit code, so podFailurePolicy onExitCodes rules see it.
// A pod deleted while its process runs (Job deleted, deadline) gets SIGTERM, then SIGKILL after its
// grace period — as the kubelet does.
import { spawn, type ChildProcess } from 'node:child_process';
import { CoreV1Api, KubeConfig, type V1Container, type V1EnvVar, type V1Pod } from '@kubernetes/client-node';

export interface PodAgentOptions {
  readonly kubeconfig: string;
  /** Only this namespace (default: all namespaces). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  /** Replaces a container's command (e.g. the runner image → `node apps/runner/dist/main.js`). */
  readonly commandFor?: (pod: V1Pod, container: V1Container) => readonly string[] | undefined;
  /** Extra environment on top of the host's PATH/HOME and the pod's env (e.g. a result URL on the host). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

export interface AgentRun {
  readonly namespace: string;
  readonly pod: string;
  readonly command: readonly string[];
  readonly exitCode: number;
  readonly output: string;
}

export interface PodAgent {
  runs(): readonly AgentRun[];
  stop(): Promise<void>;
}

export const POD_AGENT_LABEL = 'ferry.dev/pod-agent';

interface Running {
  readonly child: ChildProcess;
  readonly done: Promise<void>;
  grace: number;
  terminating: boolean;
}

export async function startPodAgent(options: PodAgentOptions): Promise<PodAgent> {
  const config = new KubeConfig();
  config.loadFromFile(options.kubeconfig);
  const core = config.makeApiClient(CoreV1Api);
  const log = options.log ?? (() => undefined);
  const labelSelector = options.labelSelector ?? `${POD_AGENT_LABEL}=true`;
  const running = new Map<string, Running>();
  const handled = new Set<string>();
  const finished: AgentRun[] = [];
  let stopped = false;

  const valueOf = async (pod: V1Pod, entry: V1EnvVar): Promise<string | undefined> => {
    if (entry.value !== undefined) return entry.value;
    const from = entry.valueFrom;
    const namespace = pod.metadata?.namespace ?? 'default';
    if (from?.fieldRef !== undefined) {
      const path = from.fieldRef.fieldPath;
      const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      if (keyed !== null) return (keyed[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[keyed[2] ?? ''];
      const fields: Record<string, string | undefined> = {
        'metadata.name': pod.metadata?.name,
        'metadata.namespace': namespace,
        'metadata.uid': pod.metadata?.uid,
        'spec.nodeName': pod.spec?.nodeName,
        'spec.serviceAccountName': pod.spec?.serviceAccountName,
        'status.podIP': pod.status?.podIP,
        'status.hostIP': pod.status?.hostIP,
      };
      return fields[path];
    }
    if (from?.secretKeyRef !== undefined) {
      const secret = await core.readNamespacedSecret({ namespace, name: from.secretKeyRef.name ?? '' });
      const data = secret.data?.[from.secretKeyRef.key];
      return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
    }
    if (from?.configMapKeyRef !== undefined) {
      const map = await core.readNamespacedConfigMap({ namespace, name: from.configMapKeyRef.name ?? '' });
      return map.data?.[from.configMapKeyRef.key];
    }
    return undefined;
  };

  const environment = async (pod: V1Pod, container: V1Container): Promise<Record<string, string>> => {
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/tmp' };
    const namespace = pod.metadata?.namespace ?? 'default';
    for (const source of container.envFrom ?? []) {
      const prefix = source.prefix ?? '';
      if (source.secretRef !== undefined) {
        const secret = await core.readNamespacedSecret({ namespace, name: source.secretRef.name ?? '' });
        for (const [key, value] of Object.entries(secret.data ?? {})) env[prefix + key] = Buffer.from(value, 'base64').toString('utf8');
      }
      if (source.configMapRef !== undefined) {
        const map = await core.readNamespacedConfigMap({ namespace, name: source.configMapRef.name ?? '' });
        for (const [key, value] of Object.entries(map.data ?? {})) env[prefix + key] = value;
      }
    }
    for (const entry of container.env ?? []) {
      const value = await valueOf(pod, entry);
      if (value !== undefined) env[entry.name] = value.replaceAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    }
    return { ...env, ...options.env };
  };

  const writeStatus = async (pod: V1Pod, container: V1Container, exitCode: number, startedAt: Date): Promise<void> => {
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    for (let attempt = 0; attempt < 10; attempt += 1) {
      let current: V1Pod;
      try {
        current = await core.readNamespacedPod({ namespace, name });
      } catch {
        return; // gone
      }
      const now = new Date();
      const status = current.status ?? {};
      status.phase = exitCode === 0 ? 'Succeeded' : 'Failed';
      status.conditions = (status.conditions ?? []).map((entry) =>
        entry.type === 'Ready' || entry.type === 'ContainersReady' ? { ...entry, status: 'False', reason: 'PodCompleted', lastTransitionTime: now } : entry,
      );
      status.containerStatuses = (current.spec?.containers ?? []).map((each) => ({
        name: each.name,
        image: each.image ?? '',
        imageID: '',
        ready: false,
        restartCount: 0,
        started: false,
        state: {
          terminated:
            each.name === container.name
              ? { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now }
              : { exitCode: 0, reason: 'Completed', startedAt, finishedAt: now },
        },
      }));
      current.status = status;
      try {
        await core.replaceNamespacedPodStatus({ namespace, name, body: current });
        return;
      } catch (error) {
        if ((error as { code?: number }).code !== 409) throw error;
      }
    }
  };

  const start = async (pod: V1Pod): Promise<void> => {
    const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
    const container = pod.spec?.containers[0];
    if (container === undefined) return;
    const command = options.commandFor?.(pod, container) ?? [...(container.command ?? []), ...(container.args ?? [])];
    const [file, ...args] = command;
    if (file === undefined) {
      log(`${key}: no command and no commandFor mapping for image ${container.image ?? '?'}; failing the pod`);
      await writeStatus(pod, container, 127, new Date());
      return;
    }
    const env = await environment(pod, container);
    const startedAt = new Date();
    const child = spawn(file, args, { env, cwd: options.cwd ?? process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    log(`${key}: started ${command.join(' ')} (pid ${child.pid ?? '?'})`);
    const entry: Running = {
      child,
      grace: pod.spec?.terminationGracePeriodSeconds ?? 30,
      terminating: false,
      done: new Promise<void>((resolve) => {
        const finish = (code: number): void => {
          running.delete(key);
          finished.push({ namespace: pod.metadata?.namespace ?? '', pod: pod.metadata?.name ?? '', command, exitCode: code, output });
          log(`${key}: exited ${code}`);
          writeStatus(pod, container, code, startedAt)
            .catch((error: unknown) => log(`${key}: status write failed: ${String(error)}`))
            .finally(resolve);
        };
        child.once('error', () => finish(127));
        child.once('exit', (code, signal) => finish(code ?? (signal === null ? 1 : 128 + (signal === 'SIGKILL' ? 9 : 15))));
      }),
    };
    running.set(key, entry);
  };

  const terminate = (entry: Running): void => {
    if (entry.terminating) return;
    entry.terminating = true;
    entry.child.kill('SIGTERM');
    setTimeout(() => entry.child.kill('SIGKILL'), entry.grace * 1000).unref();
  };

  const poll = async (): Promise<void> => {
    const list =
      options.namespace === undefined
        ? await core.listPodForAllNamespaces({ labelSelector })
        : await core.listNamespacedPod({ namespace: options.namespace, labelSelector });
    const present = new Set<string>();
    for (const pod of list.items) {
      const key = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
      present.add(key);
      const active = running.get(key);
      if (pod.metadata?.deletionTimestamp !== undefined) {
        if (active !== undefined) terminate(active);
        continue;
      }
      if (handled.has(key) || pod.spec?.nodeName === undefined || pod.status?.phase !== 'Running') continue;
      handled.add(key);
      await start(pod);
    }
    for (const [key, entry] of running) if (!present.has(key)) terminate(entry);
  };

  // The first poll runs here so a bad kubeconfig or missing permission fails the caller at once.
  await poll();
  const loop = (async () => {
    while (!stopped) {
      try {
        await poll();
      } catch (error) {
        log(`poll failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    }
  })();

  return {
    runs: () => [...finished],
    async stop() {
      stopped = true;
      await loop;
      for (const entry of running.values()) terminate(entry);
      await Promise.all([...running.values()].map((entry) => entry.done));
    },
  };
}
