import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { attemptOfPod, ferryJobOf, hasStarted, hasTerminated } from './pod-state.js';

const ID = '01j9z3k8x2m4n6p8q0r2s4t6v8';

function pod(name: string, created: string, phase: string, state?: V1ContainerState): V1Pod {
  return {
    metadata: { name, uid: `uid-${name}`, creationTimestamp: created as unknown as Date, labels: { 'ferry.dev/tenant': 'acme', 'ferry.dev/job-id': ID } },
    status: { phase, ...(state === undefined ? {} : { containerStatuses: [{ name: 'job', image: 'i', imageID: '', ready: false, restartCount: 0, state }] }) },
  };
}

describe('ferryJobOf', () => {
  it('reads tenant and job id from the labels, and refuses labels that are not Ferry’s', () => {
    expect(ferryJobOf(pod('p', '2030-01-01T00:00:00Z', 'Running'))).toEqual({ tenant: 'acme', jobId: ID });
    expect(ferryJobOf({ metadata: { labels: { 'ferry.dev/tenant': 'acme' } } })).toBeUndefined();
    expect(ferryJobOf({ metadata: { labels: { 'ferry.dev/tenant': 'Not A Tenant', 'ferry.dev/job-id': ID } } })).toBeUndefined();
    expect(ferryJobOf({ metadata: { labels: { 'ferry.dev/tenant': 'acme', 'ferry.dev/job-id': 'ferry-x' } } })).toBeUndefined();
    expect(ferryJobOf({})).toBeUndefined();
  });
});

describe('hasStarted and hasTerminated', () => {
  it.each([
    ['Pending', { waiting: { reason: 'ContainerCreating' } }, false, false],
    ['Pending', undefined, false, false],
    ['Running', { running: { startedAt: new Date() } }, true, false],
    ['Running', { terminated: { exitCode: 0 } }, true, true],
    ['Succeeded', { terminated: { exitCode: 0 } }, true, true],
    ['Failed', { terminated: { exitCode: 2 } }, true, true],
    // Failed before its container ever ran (the deadline passed while pulling): no log to read.
    ['Failed', { waiting: { reason: 'ImagePullBackOff' } }, false, true],
  ] as const)('%s %j → started %s, terminated %s', (phase, state, started, terminated) => {
    const subject = pod('p', '2030-01-01T00:00:00Z', phase, state);
    expect(hasStarted(subject)).toBe(started);
    expect(hasTerminated(subject)).toBe(terminated);
  });
});

describe('attemptOfPod', () => {
  it('numbers a Job’s pods by creation, then by name', () => {
    const pods = [pod('c', '2030-01-01T00:00:40Z', 'Running'), pod('a', '2030-01-01T00:00:00Z', 'Failed'), pod('b2', '2030-01-01T00:00:20Z', 'Failed'), pod('b1', '2030-01-01T00:00:20Z', 'Failed')];
    expect(pods.map((subject) => [subject.metadata?.name, attemptOfPod(subject, pods)])).toEqual([
      ['c', 4],
      ['a', 1],
      ['b2', 3],
      ['b1', 2],
    ]);
    expect(attemptOfPod(pod('only', '2030-01-01T00:00:00Z', 'Running'), [])).toBe(1);
  });
});
