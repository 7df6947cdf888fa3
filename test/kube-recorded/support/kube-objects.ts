import { createQueuedJob, jobKey, newJobId, type Job, type JobProgress, type LogEntry } from '@ferry/contracts';
import type { AttemptLaunch, ExecutorSink } from '@ferry/executor';
import { parseCatalog, type Pipeline } from '@ferry/pipelines';
import { jobName } from '@ferry/executor-kubernetes';
import { FAKE_NAMESPACE } from './fake-apiserver.ts';

export const CATALOG = parseCatalog(
  `
pipelines:
  - name: sleep
    kind: sleep
    description: Sleep.
    defaults: { timeoutSeconds: 600, maxAttempts: 3 }
  - name: fail
    kind: fail
    description: Fail with an exit code.
    defaults: { timeoutSeconds: 600, maxAttempts: 2 }
`,
  'test',
);

export function pipelineOf(job: Job): Pipeline {
  const pipeline = CATALOG.get(job.pipeline);
  if (pipeline === undefined) throw new Error(`no pipeline ${job.pipeline}`);
  return pipeline;
}

export function queuedJob(overrides: Partial<Pick<Job, 'pipeline' | 'params' | 'maxAttempts' | 'timeoutSeconds'>> = {}): Job {
  return {
    ...createQueuedJob({
      id: newJobId(),
      tenant: 'acme',
      pipeline: overrides.pipeline ?? 'sleep',
      params: overrides.params ?? { seconds: 5 },
      labels: {},
      maxAttempts: overrides.maxAttempts ?? 3,
      timeoutSeconds: overrides.timeoutSeconds ?? 600,
      startDeadlineSeconds: 600,
      now: new Date(),
    }),
    state: 'starting',
    attempt: 1,
  };
}

/** What the controller hands `start`: the record and its catalog entry. */
export function launchOf(job: Job): AttemptLaunch {
  return { job, pipeline: pipelineOf(job) };
}

const T0 = Date.parse('2030-01-01T00:00:00Z');
/** A fixed clock for object timestamps: second `s` after T0. */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** The labels buildJobManifest puts on a job's pod template (plus the one the Job controller adds). */
function podLabels(job: Job): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'ferry-controller',
    'app.kubernetes.io/part-of': 'ferry',
    'app.kubernetes.io/component': 'job',
    'ferry.dev/job-id': job.id,
    'ferry.dev/tenant': job.tenant,
    'ferry.dev/pipeline': job.pipeline,
    'batch.kubernetes.io/job-name': jobName(job.id),
  };
}

export interface PodShape {
  readonly index: number;
  readonly phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  readonly unschedulable?: string;
  readonly exitCode?: number;
}

/** A job pod as the API sends it in a watch event (plain JSON, timestamps as strings). */
export function podObject(job: Job, shape: PodShape): { metadata: { name: string; labels: Record<string, string>; [key: string]: unknown }; [key: string]: unknown } {
  const name = `${jobName(job.id)}-${shape.index}`;
  const created = at(shape.index * 20);
  const started = at(shape.index * 20 + 2);
  const state =
    shape.phase === 'Running'
      ? { running: { startedAt: started } }
      : shape.phase === 'Pending'
        ? { waiting: { reason: 'ContainerCreating' } }
        : { terminated: { exitCode: shape.exitCode ?? (shape.phase === 'Succeeded' ? 0 : 1), startedAt: started, finishedAt: at(shape.index * 20 + 10) } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: FAKE_NAMESPACE, uid: `uid-${name}`, labels: podLabels(job), creationTimestamp: created },
    spec: { containers: [{ name: 'job', image: 'ferry:test' }] },
    status: {
      phase: shape.phase,
      ...(shape.phase === 'Pending' ? {} : { startTime: started }),
      conditions:
        shape.unschedulable === undefined
          ? [{ type: 'PodScheduled', status: 'True' }]
          : [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: shape.unschedulable }],
      ...(shape.unschedulable === undefined ? { containerStatuses: [{ name: 'job', ready: shape.phase === 'Running', restartCount: 0, image: 'ferry:test', imageID: '', state }] } : {}),
    },
  };
}

/** A copy of the stored Job with this status (conditions as the Job controller writes them). */
export function withStatus<T extends { [key: string]: unknown }>(k8sJob: T, status: Record<string, unknown>): T {
  return { ...structuredClone(k8sJob), status };
}

export function condition(type: 'Complete' | 'Failed', reason?: string, message?: string): Record<string, unknown> {
  return { type, status: 'True', lastTransitionTime: at(100), ...(reason === undefined ? {} : { reason }), ...(message === undefined ? {} : { message }) };
}

/** An ExecutorSink that records every call; `failLogs(n)` makes the next n log calls reject. */
export class RecordingSink implements ExecutorSink {
  readonly changes: string[] = [];
  readonly progresses: { key: string; attempt: number; progress: JobProgress }[] = [];
  readonly logs: { key: string; entry: LogEntry; sequence: number }[] = [];
  #failing = 0;

  failLogs(count: number): void {
    this.#failing = count;
  }

  changed(tenant: string, jobId: string): void {
    this.changes.push(jobKey(tenant, jobId));
  }

  progress(tenant: string, jobId: string, attempt: number, progress: JobProgress): void {
    this.progresses.push({ key: jobKey(tenant, jobId), attempt, progress });
  }

  log(tenant: string, jobId: string, entry: LogEntry, sequence: number): Promise<void> {
    if (this.#failing > 0) {
      this.#failing -= 1;
      return Promise.reject(new Error('NATS is down'));
    }
    this.logs.push({ key: jobKey(tenant, jobId), entry, sequence });
    return Promise.resolve();
  }

  linesOf(key: string): string[] {
    return this.logs.filter((log) => log.key === key).map((log) => log.entry.line);
  }
}

/** Polls until `check` passes (it throws until then), or fails with its last error. */
export async function eventually<T>(check: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
