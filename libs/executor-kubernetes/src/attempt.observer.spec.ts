import type { V1Job, V1JobCondition, V1Pod } from '@kubernetes/client-node';
import type { AttemptObservation } from '@ferry/executor';
import { observeKubernetesJob } from './attempt.observer.js';

const CREATED = '2030-01-01T00:00:00Z';

function k8sJob(status: V1Job['status'] = {}, spec: { suspend?: boolean } = {}): V1Job {
  return {
    metadata: { name: 'ferry-x', creationTimestamp: new Date(CREATED) },
    spec: { backoffLimit: 2, template: {}, ...spec },
    status,
  };
}

function failed(reason: string, message?: string): V1JobCondition {
  return { type: 'Failed', status: 'True', reason, lastTransitionTime: new Date('2030-01-01T00:05:00Z'), ...(message === undefined ? {} : { message }) };
}

function pod(name: string, created: string, phase: string, extra: { deleting?: boolean; started?: string; unschedulable?: boolean } = {}): V1Pod {
  return {
    // Watch events carry timestamps as strings, lists as Dates: the observer reads both.
    metadata: { name, creationTimestamp: created as unknown as Date, ...(extra.deleting === true ? { deletionTimestamp: new Date('2030-01-01T00:04:00Z') } : {}) },
    status: {
      phase,
      ...(extra.started === undefined ? {} : { startTime: new Date(extra.started) }),
      conditions: extra.unschedulable === true ? [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available' }] : [{ type: 'PodScheduled', status: 'True' }],
    },
  };
}

const error = { reason: 'SourceRefused', message: '10.0.0.8 is a private address' };

/** A failed pod whose job container ended as the kubelet reports it (reason OOMKilled, Error, …). */
function terminated(name: string, created: string, reason: string, memoryLimit?: string): V1Pod {
  const failedPod = pod(name, created, 'Failed');
  return {
    ...failedPod,
    spec: { containers: [{ name: 'job', ...(memoryLimit === undefined ? {} : { resources: { limits: { memory: memoryLimit } } }) }] },
    status: { ...failedPod.status, containerStatuses: [{ name: 'job', image: 'ferry', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason } } }] },
  };
}

describe('observeKubernetesJob', () => {
  const cases: { name: string; job: V1Job | undefined; pods?: V1Pod[]; error?: typeof error; expected: AttemptObservation }[] = [
    { name: 'no Job: absent', job: undefined, expected: { phase: 'absent' } },
    {
      name: 'no pod yet: pending since the Job was created, no reason',
      job: k8sJob(),
      expected: { phase: 'pending', attempt: 1, since: new Date(CREATED), reason: null, message: null },
    },
    {
      name: 'suspended by Kueue: pending, QueuedBehindLimit',
      job: k8sJob({}, { suspend: true }),
      expected: { phase: 'pending', attempt: 1, since: new Date(CREATED), reason: 'QueuedBehindLimit', message: 'suspended until Kueue admits it' },
    },
    {
      name: 'a pod the scheduler cannot place: pending, Unschedulable',
      job: k8sJob({ active: 1 }),
      pods: [pod('p0', '2030-01-01T00:00:01Z', 'Pending', { unschedulable: true })],
      expected: { phase: 'pending', attempt: 1, since: new Date('2030-01-01T00:00:01Z'), reason: 'Unschedulable', message: '0/3 nodes are available' },
    },
    {
      name: 'a running pod: running since it started',
      job: k8sJob({ active: 1 }),
      pods: [pod('p0', '2030-01-01T00:00:01Z', 'Running', { started: '2030-01-01T00:00:03Z' })],
      expected: { phase: 'running', attempt: 1, startedAt: new Date('2030-01-01T00:00:03Z'), stopping: false },
    },
    {
      name: 'a running pod being deleted: stopping',
      job: k8sJob({ active: 1 }),
      pods: [pod('p0', '2030-01-01T00:00:01Z', 'Running', { started: '2030-01-01T00:00:03Z', deleting: true })],
      expected: { phase: 'running', attempt: 1, startedAt: new Date('2030-01-01T00:00:03Z'), stopping: true },
    },
    {
      name: 'one attempt failed, the next pod pending: attempt 2, the newest pod decides',
      job: k8sJob({ failed: 1, active: 1 }),
      pods: [pod('p0', '2030-01-01T00:00:01Z', 'Failed'), pod('p1', '2030-01-01T00:00:20Z', 'Pending')],
      expected: { phase: 'pending', attempt: 2, since: new Date('2030-01-01T00:00:20Z'), reason: 'ContainerCreating', message: null },
    },
    {
      name: 'Complete: finished, succeeded, at completionTime',
      job: k8sJob({ succeeded: 1, failed: 1, completionTime: new Date('2030-01-01T00:03:00Z'), conditions: [{ type: 'Complete', status: 'True' }] }),
      expected: { phase: 'finished', attempt: 2, outcome: 'succeeded', reason: null, message: null, finishedAt: new Date('2030-01-01T00:03:00Z') },
    },
    {
      name: 'BackoffLimitExceeded: finished, failed, on the last attempt, in the runner’s words',
      job: k8sJob({ failed: 3, conditions: [failed('BackoffLimitExceeded', 'Job has reached the specified backoff limit')] }),
      error,
      expected: { phase: 'finished', attempt: 3, outcome: 'failed', reason: 'BackoffLimitExceeded', message: 'attempt 3 of 3 failed: 10.0.0.8 is a private address', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'BackoffLimitExceeded after the last pod was OOMKilled: reason OOMKilled, naming the limit',
      job: k8sJob({ failed: 2, conditions: [failed('BackoffLimitExceeded')] }),
      pods: [terminated('p1', '2030-01-01T00:00:30Z', 'OOMKilled', '64Mi'), terminated('p0', '2030-01-01T00:00:01Z', 'Error', '64Mi')],
      expected: { phase: 'finished', attempt: 2, outcome: 'failed', reason: 'OOMKilled', message: 'attempt 2 of 3 failed: the container passed its memory limit (64Mi) and was killed', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'BackoffLimitExceeded when only an earlier pod was OOMKilled: the last attempt decides',
      job: k8sJob({ failed: 2, conditions: [failed('BackoffLimitExceeded')] }),
      pods: [terminated('p0', '2030-01-01T00:00:01Z', 'OOMKilled', '64Mi'), terminated('p1', '2030-01-01T00:00:30Z', 'Error', '64Mi')],
      expected: { phase: 'finished', attempt: 2, outcome: 'failed', reason: 'BackoffLimitExceeded', message: 'attempt 2 of 3 failed', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'DeadlineExceeded: finished, failed, with the Job controller’s message',
      job: k8sJob({ failed: 1, conditions: [failed('DeadlineExceeded', 'Job was active longer than specified deadline')] }),
      expected: { phase: 'finished', attempt: 1, outcome: 'failed', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'PodFailurePolicy with an error report: the runner’s reason and message',
      job: k8sJob({ failed: 1, conditions: [failed('PodFailurePolicy', 'Container job for pod x failed with exit code 2')] }),
      error,
      expected: { phase: 'finished', attempt: 1, outcome: 'failed', reason: 'SourceRefused', message: '10.0.0.8 is a private address', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'PodFailurePolicy without a report: ExitCode, exit code 2',
      job: k8sJob({ failed: 1, conditions: [failed('PodFailurePolicy')] }),
      expected: { phase: 'finished', attempt: 1, outcome: 'failed', reason: 'ExitCode', message: 'exit code 2', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'any other failure: its own reason and message',
      job: k8sJob({ failed: 1, conditions: [failed('MaxFailedIndexesExceeded', 'too many')] }),
      expected: { phase: 'finished', attempt: 1, outcome: 'failed', reason: 'MaxFailedIndexesExceeded', message: 'too many', finishedAt: new Date('2030-01-01T00:05:00Z') },
    },
    {
      name: 'a condition that is not True decides nothing',
      job: k8sJob({ active: 1, conditions: [{ type: 'Failed', status: 'False' }] }),
      pods: [pod('p0', '2030-01-01T00:00:01Z', 'Running', { started: '2030-01-01T00:00:02Z' })],
      expected: { phase: 'running', attempt: 1, startedAt: new Date('2030-01-01T00:00:02Z'), stopping: false },
    },
  ];

  it.each(cases)('$name', ({ job, pods, error: report, expected }) => {
    expect(observeKubernetesJob(job, pods ?? [], 3, report)).toEqual(expected);
  });

  it('ends a job whose pod the kubelet evicted for its disk as DiskLimitExceeded, while the Job would start another', () => {
    const evicted: V1Pod = {
      ...pod('ferry-x-a', '2030-01-01T00:00:01Z', 'Failed'),
      status: {
        phase: 'Failed',
        reason: 'Evicted',
        message: 'Usage of EmptyDir volume "tmp" exceeds the limit "4Gi". ',
        conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet', lastTransitionTime: new Date('2030-01-01T00:03:00Z') }],
      },
    };
    const observation = observeKubernetesJob(k8sJob({ active: 1 }), [evicted, pod('ferry-x-b', '2030-01-01T00:03:01Z', 'Pending')], 3);
    expect(observation).toEqual({
      phase: 'finished',
      attempt: 1,
      outcome: 'failed',
      reason: 'DiskLimitExceeded',
      message: 'the pod passed its disk limit and the kubelet evicted it: Usage of EmptyDir volume "tmp" exceeds the limit "4Gi".',
      finishedAt: new Date('2030-01-01T00:03:00Z'),
    });
    // An eviction because the node ran short is a disruption: the Job's next pod runs the attempt again.
    const pressure = { ...evicted, status: { ...evicted.status, message: 'The node was low on resource: ephemeral-storage. ' } };
    expect(observeKubernetesJob(k8sJob({ active: 1 }), [pressure], 3)).toMatchObject({ phase: 'pending' });
  });

  it('never reports an attempt past maxAttempts', () => {
    const observation = observeKubernetesJob(k8sJob({ failed: 7, active: 1 }), [], 3);
    expect(observation).toMatchObject({ phase: 'pending', attempt: 3 });
  });
});
