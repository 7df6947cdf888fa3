import { processTable } from '../../scripts/lib/process-table.ts';
import type { Api } from '../support/api.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start();
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

/** How many processes on this machine were started for this job (its spec is in their environment). */
function processesOf(jobId: string): number {
  return processTable().filter((entry) => entry.environ().get('FERRY_JOB')?.includes(jobId) === true).length;
}

const submit = async (body: unknown): Promise<string> => {
  const response = await api.post('/v1/jobs', body);
  expect(response.status).toBe(202);
  return response.body.id;
};

describe('job lifecycle with the local executor', () => {
  it('a sleep job runs as a process and succeeds, with progress', async () => {
    const id = await submit({ pipeline: 'sleep', params: { seconds: 0.6, progressEvery: 0.2 } });
    const running = await waitForJob(api, id, (job) => job.state === 'running');
    expect(running).toMatchObject({ attempt: 1, executor: { kind: 'local' } });
    expect(running.startedAt).not.toBeNull();
    const job = await waitForJob(api, id, isFinal);
    expect(job).toMatchObject({ state: 'succeeded', attempt: 1, reason: null });
    // The last report lands before the final state: the record keeps it.
    expect(job.progress).toMatchObject({ percent: 100 });
    expect(job.finishedAt).not.toBeNull();
  });

  it('a permanent exit code fails the job at once, without a retry', async () => {
    const id = await submit({ pipeline: 'fail', params: { exitCode: 2 }, maxAttempts: 3 });
    const job = await waitForJob(api, id, isFinal);
    expect(job).toMatchObject({ state: 'failed', reason: 'ExitCode', attempt: 1 });
    expect(job.message).toMatch(/exit code 2/);
  });

  it('a transient exit code is retried, attempt counting up, until the attempts run out', async () => {
    const id = await submit({ pipeline: 'fail', params: { exitCode: 75 }, maxAttempts: 3 });
    const seen = new Set<number>();
    const job = await waitForJob(api, id, (current) => {
      seen.add(current.attempt);
      return isFinal(current);
    });
    expect(job).toMatchObject({ state: 'failed', reason: 'BackoffLimitExceeded', attempt: 3, maxAttempts: 3 });
    expect(job.message).toMatch(/attempt 3 of 3 failed: exit code 75/);
    expect([...seen].filter((attempt) => attempt > 0).sort()).toEqual([1, 2, 3]);
  });

  it('timeoutSeconds ends a job that runs too long: failed, DeadlineExceeded, process gone', async () => {
    const id = await submit({ pipeline: 'sleep', params: { seconds: 30 }, timeoutSeconds: 1 });
    const job = await waitForJob(api, id, isFinal, 10_000);
    expect(job).toMatchObject({ state: 'failed', reason: 'DeadlineExceeded' });
    expect(processesOf(id)).toBe(0);
  });

  it('cancel of a running job stops its process and records cancelled', async () => {
    const id = await submit({ pipeline: 'sleep', params: { seconds: 30 } });
    await waitForJob(api, id, (job) => job.state === 'running');
    expect(processesOf(id)).toBeGreaterThan(0);
    const cancel = await api.post(`/v1/jobs/${id}/cancel`);
    expect(cancel.status).toBe(202);
    const job = await waitForJob(api, id, isFinal, 10_000);
    expect(job).toMatchObject({ state: 'cancelled', reason: 'Cancelled', cancelRequested: true });
    expect(processesOf(id)).toBe(0);
    expect((await api.post(`/v1/jobs/${id}/cancel`)).status).toBe(409);
  });

  it('the job record tells where it ran, and its logs outlive the process', async () => {
    const id = await submit({ pipeline: 'fail', params: { exitCode: 2 } });
    await waitForJob(api, id, isFinal);
    const logs = await api.get(`/v1/jobs/${id}/logs`);
    expect(logs.status).toBe(200);
    expect(logs.text.length).toBeGreaterThan(0);
  });
});
