import type { V1ContainerStatus, V1Pod, V1PodCondition } from '@kubernetes/client-node';
import { classifyWaitingPod, type WaitingCause } from './pod-waiting.classifier.js';

function pod(phase: string, conditions: V1PodCondition[] = [], containers: V1ContainerStatus[] = [], init: V1ContainerStatus[] = []): V1Pod {
  return { status: { phase, conditions, containerStatuses: containers, initContainerStatuses: init } };
}

function waiting(reason: string, message?: string): V1ContainerStatus {
  return { name: 'job', image: 'img', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason, ...(message === undefined ? {} : { message }) } } };
}

const scheduled: V1PodCondition = { type: 'PodScheduled', status: 'True' };

describe('classifyWaitingPod', () => {
  const cases: { name: string; pod: V1Pod; expected: WaitingCause | undefined }[] = [
    { name: 'a running pod waits for nothing', pod: pod('Running', [scheduled]), expected: undefined },
    { name: 'a succeeded pod waits for nothing', pod: pod('Succeeded'), expected: undefined },
    { name: 'a failed pod waits for nothing', pod: pod('Failed'), expected: undefined },
    {
      name: 'no node fits: Unschedulable, with the scheduler’s message',
      pod: pod('Pending', [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' }]),
      expected: { reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient memory.' },
    },
    {
      name: 'an image that cannot be pulled: ImagePullBackOff',
      pod: pod('Pending', [scheduled], [waiting('ImagePullBackOff', 'Back-off pulling image "nope:1"')]),
      expected: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope:1"' },
    },
    { name: 'the first pull failure: ErrImagePull', pod: pod('Pending', [scheduled], [waiting('ErrImagePull')]), expected: { reason: 'ErrImagePull', message: null } },
    { name: 'a bad image name: InvalidImageName', pod: pod('Pending', [scheduled], [waiting('InvalidImageName', 'bad')]), expected: { reason: 'InvalidImageName', message: 'bad' } },
    {
      name: 'a missing secret: CreateContainerConfigError',
      pod: pod('Pending', [scheduled], [waiting('CreateContainerConfigError', 'secret "x" not found')]),
      expected: { reason: 'CreateContainerConfigError', message: 'secret "x" not found' },
    },
    {
      name: 'an init container stuck counts too',
      pod: pod('Pending', [scheduled], [waiting('PodInitializing')], [waiting('CreateContainerError', 'no such file')]),
      expected: { reason: 'CreateContainerError', message: 'no such file' },
    },
    { name: 'scheduled, container being created: ContainerCreating', pod: pod('Pending', [scheduled], [waiting('ContainerCreating')]), expected: { reason: 'ContainerCreating', message: null } },
    { name: 'not scheduled yet, no verdict: Pending', pod: pod('Pending'), expected: { reason: 'Pending', message: 'waiting to be scheduled' } },
    {
      name: 'not scheduled for another reason (a scheduling gate): Pending',
      pod: pod('Pending', [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }]),
      expected: { reason: 'Pending', message: 'waiting to be scheduled' },
    },
  ];

  it.each(cases)('$name', ({ pod: subject, expected }) => {
    expect(classifyWaitingPod(subject)).toEqual(expected);
  });
});
