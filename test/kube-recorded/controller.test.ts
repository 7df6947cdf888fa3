import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Api } from '../support/api.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';
import { FAKE_NAMESPACE, FakeApiServer, type KubeObject } from './support/fake-apiserver.ts';
import { condition, podObject, withStatus } from './support/kube-objects.ts';

let fake: FakeApiServer;
let system: FerrySystem;
let api: Api;
let scratch: string;

beforeAll(async () => {
  fake = await FakeApiServer.start();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-kubeconfig-'));
  const kubeconfig = join(scratch, 'kubeconfig.json');
  // A kubeconfig is YAML, and JSON is YAML.
  await writeFile(kubeconfig, fake.kubeConfig().exportConfig());
  system = await FerrySystem.start({
    controllerEnv: {
      FERRY_EXECUTOR: 'kubernetes',
      KUBECONFIG: kubeconfig,
      FERRY_JOBS_NAMESPACE: FAKE_NAMESPACE,
      FERRY_RUNNER_IMAGE: 'ferry:test',
      FERRY_JOB_TTL_SECONDS: '600',
    },
  });
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
  await fake?.close();
  await rm(scratch, { recursive: true, force: true });
});

const createdJob = async (name: string): Promise<KubeObject & Record<string, any>> => {
  for (let tries = 0; tries < 200; tries += 1) {
    const job = fake.get('jobs', name);
    if (job !== undefined) return job as KubeObject & Record<string, any>;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the controller never created ${name}:\n${system.controller.output}`);
};

describe('the controller with FERRY_EXECUTOR=kubernetes (against a recorded-exchange API server)', () => {
  it('creates one Job per job, follows its pods, and records the end the Job reports', async () => {
    const { body: submitted } = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 1 }, maxAttempts: 2 });
    const name = `ferry-${submitted.id}`;
    const k8sJob = await createdJob(name);
    expect(k8sJob['spec']).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 600, podReplacementPolicy: 'Failed' });
    expect(k8sJob['metadata']['labels']).toMatchObject({ 'ferry.dev/tenant': 'acme', 'ferry.dev/job-id': submitted.id });
    const running = await waitForJob(api, submitted.id, (job) => job.state === 'starting');
    expect(running.executor).toEqual({ kind: 'kubernetes', name, namespace: FAKE_NAMESPACE });

    const job = { ...submitted, tenant: 'acme' };
    fake.emit('pods', 'ADDED', podObject(job, { index: 0, phase: 'Pending', unschedulable: '0/3 nodes are available: node selector mismatch' }));
    const waiting = await waitForJob(api, submitted.id, (current) => current.reason === 'Unschedulable');
    expect(waiting).toMatchObject({ state: 'starting', message: '0/3 nodes are available: node selector mismatch' });

    const pod = podObject(job, { index: 0, phase: 'Running' });
    fake.logs.append(pod.metadata.name, { at: new Date().toISOString(), text: 'runner: hello from the pod' });
    fake.emit('pods', 'MODIFIED', pod);
    await waitForJob(api, submitted.id, (current) => current.state === 'running');

    fake.logs.end(pod.metadata.name);
    fake.emit('pods', 'MODIFIED', podObject(job, { index: 0, phase: 'Succeeded' }));
    fake.emit('jobs', 'MODIFIED', withStatus(k8sJob, { succeeded: 1, conditions: [condition('Complete')], completionTime: new Date().toISOString() }));
    const final = await waitForJob(api, submitted.id, isFinal);
    expect(final).toMatchObject({ state: 'succeeded', attempt: 1 });
    expect((await api.get(`/v1/jobs/${submitted.id}/logs`)).text).toContain('runner: hello from the pod');

    // Once Ferry recorded the end, the Job gets its TTL.
    await expect.poll(() => fake.requestsTo('PATCH', `/apis/batch/v1/namespaces/${FAKE_NAMESPACE}/jobs/${name}`).length).toBe(1);
    expect(fake.get('jobs', name)?.['spec']).toMatchObject({ ttlSecondsAfterFinished: 600 });
  });

  it('cancel deletes the Job with background propagation and records cancelled', async () => {
    const { body: submitted } = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 60 } });
    const name = `ferry-${submitted.id}`;
    await createdJob(name);
    expect((await api.post(`/v1/jobs/${submitted.id}/cancel`)).status).toBe(202);
    const final = await waitForJob(api, submitted.id, isFinal);
    expect(final).toMatchObject({ state: 'cancelled', reason: 'Cancelled' });
    const deletes = fake.requestsTo('DELETE', `/apis/batch/v1/namespaces/${FAKE_NAMESPACE}/jobs/${name}`);
    expect(deletes.length).toBeGreaterThan(0);
    expect(deletes[0]?.query).toMatchObject({ propagationPolicy: 'Background' });
  });
});
