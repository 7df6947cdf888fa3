import { BatchV1Api, CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { jobKey, type JobExecutor } from '@ferry/contracts';
import type { AttemptLaunch, AttemptObservation, Executor, ExecutorSink } from '@ferry/executor';
import { hasEnded, observeKubernetesJob } from './attempt.observer.js';
import { buildFinalRecordedPatch, isFinalRecorded } from './final-recorded.patch.js';
import { buildJobManifest, type JobManifestSettings } from './job-manifest.builder.js';
import { KubernetesErrorKind, toKubernetesError } from './kubernetes-errors.js';
import { MANAGED_SELECTOR, jobName } from './kubernetes.labels.js';
import { PodLogRegistry } from './pod-log.registry.js';
import { attemptOfPod, ferryJobOf } from './pod-state.js';
import { ResourceInformer, type InformerEvent } from './resource.informer.js';

export interface KubernetesExecutorOptions {
  readonly kubeConfig: KubeConfig;
  /** The one namespace Ferry's Jobs live in (the controller's Role is namespaced). */
  readonly namespace: string;
  readonly manifest: Omit<JobManifestSettings, 'namespace'>;
  /** `ttlSecondsAfterFinished` set on a Job once Ferry recorded its final state. */
  readonly finishedTtlSeconds: number;
  /** A watch that delivered nothing, not even a bookmark, for this long is restarted. Default 5 min. */
  readonly watchdogMs?: number;
  /** Every cached Job and pod is announced to the sink again this often. Default 5 min. */
  readonly resyncMs?: number;
  /** First wait before reading a pod's log again after it broke off. Default 1 s. */
  readonly logRetryMs?: number;
  /** First wait before restarting a failed watch (doubling, up to 30 s). Default 1 s. */
  readonly watchRestartMs?: number;
  /**
   * How long a finished Job is still reported `running` while its pods' last log lines are read,
   * so that the final state is recorded after them. Default 30 s; past it, unread lines are lost.
   */
  readonly logDrainMs?: number;
  /** Reads the time, in ms (the log-drain wait); tests pass their own. */
  readonly clock?: () => number;
  readonly logger?: { warn(fields: object, message: string): void };
}

const MINUTE = 60_000;
/** Kubernetes' own default, for a Job that somehow lacks `backoffLimit`. */
const DEFAULT_BACKOFF_LIMIT = 6;

/**
 * Runs each job as one `batch/v1` Job (docs/architecture.md §6): Kubernetes retries the pods and enforces the
 * deadline; this reports what its informer caches show. API calls are idempotent by construction:
 * the name is deterministic, AlreadyExists on create and NotFound on delete or patch are success.
 *
 * The caches are complete only once `ready()` resolved: until then `observe` answers `absent` for
 * every job, which the reconciler reads as "never created" (start it) or "vanished" (fail it) — so
 * the controller must await `ready()` before it reconciles anything.
 */
export class KubernetesExecutor implements Executor {
  readonly kind = 'kubernetes' as const;
  readonly retriesAttempts = true;
  readonly name: string;
  readonly #batch: BatchV1Api;
  readonly #jobs: ResourceInformer<V1Job>;
  readonly #pods: ResourceInformer<V1Pod>;
  readonly #logs: PodLogRegistry;
  /** Pod names by job key: the pod cache indexed by the `ferry.dev/job-id` label. */
  readonly #podsByJob = new Map<string, Set<string>>();
  /** Jobs whose final state Ferry recorded (kept until their Job is deleted). */
  readonly #released = new Set<string>();
  /** Jobs whose TTL patch is under way or done (until the cache shows it): one patch per Job. */
  readonly #patching = new Set<string>();
  /** Finished Jobs still waiting for their last log lines: since when, and the wake-up at the limit. */
  readonly #draining = new Map<string, { since: number; timer: NodeJS.Timeout }>();
  readonly #logDrainMs: number;
  readonly #clock: () => number;
  readonly #options: KubernetesExecutorOptions;
  readonly #sink: ExecutorSink;

  constructor(options: KubernetesExecutorOptions, sink: ExecutorSink) {
    this.#options = options;
    this.#sink = sink;
    const { kubeConfig, namespace } = options;
    this.name = `kubernetes/${namespace}`;
    this.#logDrainMs = options.logDrainMs ?? 30_000;
    this.#clock = options.clock ?? Date.now;
    this.#batch = kubeConfig.makeApiClient(BatchV1Api);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const common = {
      kubeConfig,
      namespace,
      labelSelector: MANAGED_SELECTOR,
      watchdogMs: options.watchdogMs ?? 5 * MINUTE,
      restartMs: options.watchRestartMs ?? 1000,
      resyncMs: options.resyncMs ?? 5 * MINUTE,
    };
    this.#jobs = new ResourceInformer<V1Job>({
      ...common,
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      list: () => this.#batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR }),
      onEvent: (event, k8sJob) => this.onJobEvent(event, k8sJob),
      onRestart: (reason) => this.warn({ err: reason, resource: 'jobs' }, 'restarting the Job watch'),
    });
    this.#pods = new ResourceInformer<V1Pod>({
      ...common,
      path: `/api/v1/namespaces/${namespace}/pods`,
      list: () => core.listNamespacedPod({ namespace, labelSelector: MANAGED_SELECTOR }),
      onEvent: (event, pod) => this.onPodEvent(event, pod),
      onRestart: (reason) => this.warn({ err: reason, resource: 'pods' }, 'restarting the pod watch'),
    });
    this.#logs = new PodLogRegistry(
      {
        kubeConfig,
        namespace,
        retryMs: options.logRetryMs ?? 1000,
        currentPod: (name) => this.#pods.get(name),
        onRetry: (pod, error) => this.warn({ err: error, pod }, 'pod log broke off; reading on from where it stopped'),
      },
      sink,
    );
    this.#jobs.start();
    this.#pods.start();
  }

  /** Resolves once both caches hold a complete list (see the class comment). */
  async ready(): Promise<void> {
    await Promise.all([this.#jobs.whenSynced, this.#pods.whenSynced]);
  }

  describe(_tenant: string, jobId: string): JobExecutor {
    return { kind: 'kubernetes', name: jobName(jobId), namespace: this.#options.namespace };
  }

  /** Creates the Job; one start runs the whole job, retries included. */
  async start({ job, pipeline }: AttemptLaunch): Promise<void> {
    const body = buildJobManifest(job, pipeline, { ...this.#options.manifest, namespace: this.#options.namespace });
    try {
      await this.#batch.createNamespacedJob({ namespace: this.#options.namespace, body });
    } catch (error) {
      const failure = toKubernetesError(error, `create Job ${jobName(job.id)}`);
      if (failure.kind !== KubernetesErrorKind.AlreadyExists) throw failure;
    }
  }

  observe(tenant: string, jobId: string): AttemptObservation {
    if (!this.#jobs.isSynced || !this.#pods.isSynced) return { phase: 'absent' };
    const k8sJob = this.#jobs.get(jobName(jobId));
    if (k8sJob === undefined || ferryJobOf(k8sJob)?.tenant !== tenant) return { phase: 'absent' };
    const key = jobKey(tenant, jobId);
    const pods = this.podsOf(key);
    const maxAttempts = (k8sJob.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT) + 1;
    const observation = observeKubernetesJob(k8sJob, pods, maxAttempts, this.#logs.errorOf(key));
    if (observation.phase !== 'finished' || this.#released.has(key) || isFinalRecorded(k8sJob) || this.#logs.allRead(pods)) return observation;
    // The Job ended but its pods' last lines are still being read: the final state waits for them
    // (the sink's contract), up to `logDrainMs` from when the watch saw the Job end.
    const endedAt = this.#draining.get(key)?.since;
    if (endedAt === undefined || this.#clock() - endedAt >= this.#logDrainMs) return observation;
    return { phase: 'running', attempt: observation.attempt, startedAt: observation.finishedAt, stopping: false };
  }

  /** Deletes the Job and (in the background) its pods; a Job already gone or going is success. */
  async stop(_tenant: string, jobId: string): Promise<void> {
    const name = jobName(jobId);
    if (this.#jobs.get(name)?.metadata?.deletionTimestamp != null) return;
    try {
      await this.#batch.deleteNamespacedJob({ name, namespace: this.#options.namespace, propagationPolicy: 'Background' });
    } catch (error) {
      const failure = toKubernetesError(error, `delete Job ${name}`);
      if (failure.kind !== KubernetesErrorKind.NotFound) throw failure;
    }
  }

  /**
   * Ferry recorded the job's final state: let the TTL controller have the ended Job now (merge patch
   * of `ttlSecondsAfterFinished`, marked as recorded), stop reading its logs, drop what was kept of it.
   * Called on every reconcile of a final job, so the patch is sent only while the cache lacks it.
   */
  release(tenant: string, jobId: string): void {
    const key = jobKey(tenant, jobId);
    this.#logs.forgetJob(key);
    this.stopDraining(key);
    const name = jobName(jobId);
    const k8sJob = this.#jobs.get(name);
    if (k8sJob === undefined) return;
    this.#released.add(key);
    if (isFinalRecorded(k8sJob) || k8sJob.metadata?.deletionTimestamp != null || this.#patching.has(key)) return;
    // A Job that has not ended while its record is final (cancelled, past its start deadline) is
    // deleted by the reconcile that follows: a TTL for it would be a wasted write, answered 404
    // when the delete lands first.
    if (!hasEnded(k8sJob)) return;
    this.#patching.add(key);
    this.#batch
      .patchNamespacedJob(
        { name, namespace: this.#options.namespace, body: buildFinalRecordedPatch(this.#options.finishedTtlSeconds) },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      // Patched: the key stays until the watch brings the patched Job (or its deletion), so the
      // reconciles in between do not patch again.
      .catch((error: unknown) => {
        this.#patching.delete(key);
        const failure = toKubernetesError(error, `patch Job ${name}`);
        // Not found: already gone. Anything else: the next reconcile of the final job tries again.
        if (failure.kind !== KubernetesErrorKind.NotFound) this.warn({ err: failure, job: key }, 'could not hand the Job to the TTL controller');
      });
  }

  async close(): Promise<void> {
    for (const key of [...this.#draining.keys()]) this.stopDraining(key);
    await Promise.all([this.#jobs.stop(), this.#pods.stop(), this.#logs.close()]);
  }

  private onJobEvent(event: InformerEvent, k8sJob: V1Job): void {
    const owner = ferryJobOf(k8sJob);
    if (owner === undefined) return;
    const key = jobKey(owner.tenant, owner.jobId);
    if (event === 'delete' || isFinalRecorded(k8sJob)) this.#patching.delete(key);
    if (event === 'delete') {
      this.#released.delete(key);
      this.stopDraining(key);
    } else {
      // Pods may have been cached before their Job: follow them now.
      for (const pod of this.podsOf(key)) this.followLog(owner, key, pod);
      // Ended: `observe` waits for the pods' last lines from now on, and a timer wakes the job's
      // reconcile when that wait is over.
      if (hasEnded(k8sJob) && !isFinalRecorded(k8sJob) && !this.#released.has(key) && !this.#draining.has(key)) this.startDraining(key, owner.tenant, owner.jobId);
    }
    this.#sink.changed(owner.tenant, owner.jobId);
  }

  private onPodEvent(event: InformerEvent, pod: V1Pod): void {
    const owner = ferryJobOf(pod);
    const name = pod.metadata?.name;
    if (owner === undefined || name === undefined) return;
    const key = jobKey(owner.tenant, owner.jobId);
    if (event === 'delete') {
      const names = this.#podsByJob.get(key);
      names?.delete(name);
      if (names?.size === 0) this.#podsByJob.delete(key);
      this.#logs.podDeleted(pod.metadata?.uid);
    } else {
      const names = this.#podsByJob.get(key) ?? new Set<string>();
      this.#podsByJob.set(key, names.add(name));
      this.followLog(owner, key, pod);
    }
    this.#sink.changed(owner.tenant, owner.jobId);
  }

  /** Follows a started pod's log while its job is not final in Ferry's record. */
  private followLog(owner: { tenant: string; jobId: string }, key: string, pod: V1Pod): void {
    if (this.#released.has(key)) return;
    const k8sJob = this.#jobs.get(jobName(owner.jobId));
    if (k8sJob === undefined || isFinalRecorded(k8sJob)) return;
    this.#logs.follow(owner, pod, () => attemptOfPod(pod, this.podsOf(key)));
  }

  private podsOf(key: string): V1Pod[] {
    const pods: V1Pod[] = [];
    for (const name of this.#podsByJob.get(key) ?? []) {
      const pod = this.#pods.get(name);
      if (pod !== undefined) pods.push(pod);
    }
    return pods;
  }

  private startDraining(key: string, tenant: string, jobId: string): void {
    const timer = setTimeout(() => this.#sink.changed(tenant, jobId), this.#logDrainMs);
    timer.unref();
    this.#draining.set(key, { since: this.#clock(), timer });
  }

  private stopDraining(key: string): void {
    clearTimeout(this.#draining.get(key)?.timer);
    this.#draining.delete(key);
  }

  private warn(fields: object, message: string): void {
    this.#options.logger?.warn(fields, message);
  }
}
