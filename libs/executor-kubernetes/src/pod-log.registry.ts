import type { KubeConfig, V1Pod } from '@kubernetes/client-node';
import { jobKey, type JobErrorReport, type RunnerLine } from '@ferry/contracts';
import type { ExecutorSink } from '@ferry/executor';
import { toKubernetesError, type KubernetesApiError } from './kubernetes-errors.js';
import { JOB_CONTAINER } from './kubernetes.labels.js';
import { PodLogFollower } from './pod-log.follower.js';
import { openPodLog } from './pod-log.request.js';
import { hasStarted, hasTerminated } from './pod-state.js';

export interface PodLogRegistryOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly retryMs: number;
  /** The pod as the informer cache holds it now. */
  readonly currentPod: (name: string) => V1Pod | undefined;
  readonly onRetry: (pod: string, error: KubernetesApiError) => void;
}

interface Following {
  readonly key: string;
  readonly follower: PodLogFollower;
  run: Promise<void>;
  done: boolean;
}

/**
 * The log followers of job pods, at most one per pod (by uid) for the life of the pod: a pod whose
 * log was read to its end is remembered until the pod is deleted, so it is never read twice. Lines go
 * to the sink; `::ferry:error` reports are kept per job for `observe`.
 */
export class PodLogRegistry {
  readonly #following = new Map<string, Following>();
  readonly #errors = new Map<string, { attempt: number; error: JobErrorReport }>();
  readonly #options: PodLogRegistryOptions;
  readonly #sink: ExecutorSink;
  #closed = false;

  constructor(options: PodLogRegistryOptions, sink: ExecutorSink) {
    this.#options = options;
    this.#sink = sink;
  }

  /**
   * Starts following this pod's log unless it has not started or is already followed (or was, to
   * its end). `attemptOf` is asked once, when the follower starts.
   */
  follow(owner: { tenant: string; jobId: string }, pod: V1Pod, attemptOf: () => number): void {
    if (this.#closed) return;
    const uid = pod.metadata?.uid;
    const name = pod.metadata?.name;
    if (uid === undefined || name === undefined || this.#following.has(uid) || !hasStarted(pod)) return;
    const attempt = attemptOf();
    const follower = new PodLogFollower({
      open: (sinceTime, signal) => openPodLog(this.#options.kubeConfig, { namespace: this.#options.namespace, pod: name, container: JOB_CONTAINER, sinceTime }, signal),
      podState: () => {
        const current = this.#options.currentPod(name);
        if (current?.metadata?.uid !== uid) return 'gone';
        return hasTerminated(current) ? 'terminated' : 'running';
      },
      onLine: (line, at, lineNumber) => this.deliver(owner, attempt, line, at, lineNumber),
      onRetry: (error) => this.#options.onRetry(name, error),
      retryMs: this.#options.retryMs,
    });
    const entry: Following = { key: jobKey(owner.tenant, owner.jobId), follower, run: Promise.resolve(), done: false };
    entry.run = follower
      .run()
      .catch((error: unknown) => this.#options.onRetry(name, toKubernetesError(error, `follow log of pod ${name}`)))
      .finally(() => {
        entry.done = true;
        // A pod deleted while it was read: nothing can follow it again, forget it now.
        if (this.#options.currentPod(name)?.metadata?.uid !== uid) this.#following.delete(uid);
        // Its attempt may now be observed as finished (observe waits for its last lines).
        if (!this.#closed) this.#sink.changed(owner.tenant, owner.jobId);
      });
    this.#following.set(uid, entry);
  }

  /** Every started pod among these has been read to its end. */
  allRead(pods: readonly V1Pod[]): boolean {
    return pods.every((pod) => {
      if (!hasStarted(pod)) return true;
      const uid = pod.metadata?.uid;
      return uid !== undefined && this.#following.get(uid)?.done === true;
    });
  }

  /** The last `::ferry:error` a job's pods printed (the latest attempt's). */
  errorOf(key: string): JobErrorReport | undefined {
    return this.#errors.get(key)?.error;
  }

  podDeleted(uid: string | undefined): void {
    if (uid !== undefined && this.#following.get(uid)?.done === true) this.#following.delete(uid);
  }

  /** Stops following a job's pods and drops what was kept of it. */
  forgetJob(key: string): void {
    this.#errors.delete(key);
    for (const [uid, entry] of this.#following) {
      if (entry.key !== key) continue;
      entry.follower.stop();
      this.#following.delete(uid);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const runs = [...this.#following.values()].map((entry) => {
      entry.follower.stop();
      return entry.run;
    });
    this.#following.clear();
    await Promise.allSettled(runs);
  }

  private async deliver(owner: { tenant: string; jobId: string }, attempt: number, line: RunnerLine, at: string, lineNumber: number): Promise<void> {
    const { tenant, jobId } = owner;
    switch (line.kind) {
      case 'progress':
        this.#sink.progress(tenant, jobId, attempt, line.progress);
        return;
      case 'error': {
        const key = jobKey(tenant, jobId);
        if ((this.#errors.get(key)?.attempt ?? 0) <= attempt) this.#errors.set(key, { attempt, error: line.error });
        return;
      }
      case 'log':
        await this.#sink.log(tenant, jobId, { line: line.line, stream: 'stdout', attempt, at }, lineNumber);
        return;
    }
  }
}
