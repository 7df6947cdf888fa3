import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Api } from '../support/api.ts';
import { TEST_EXIT_RECORD_DIR } from '../support/controller.ts';
import { checkJobs } from '../support/checker.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start({ controllerEnv: { FERRY_MAX_CONCURRENT: '8' } });
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function submitRunning(seconds: number): Promise<string> {
  const response = await api.post<{ id: string }>('/v1/jobs', { pipeline: 'sleep', params: { seconds }, maxAttempts: 3 });
  expect(response.status).toBe(202);
  await waitForJob(api, response.body.id, (job) => job.state === 'running');
  return response.body.id;
}

async function submit(count: number): Promise<string[]> {
  const accepted: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await api.post<{ id: string }>('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0.2 + (index % 4) * 0.1 }, maxAttempts: 3 });
    if (response.status === 202) accepted.push(response.body.id);
  }
  return accepted;
}

describe('controller faults', () => {
  it('kill -9 of the controller with 200 jobs in flight, then a restart: every job final exactly once', async () => {
    const accepted = await submit(200);
    // Let some finish and many run, then kill the controller without warning, and restart it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await system.controller.kill('SIGKILL');
    system.controller = system.startController();
    const report = await checkJobs(api, system.nats.url, accepted, 120_000);
    console.log('controller kill -9 checker:', JSON.stringify(report));
    expect(report).toMatchObject({ accepted: 200, final: 200, lost: 0, duplicated: 0, regressed: 0 });
  }, 180_000);

  it('two controllers at once: one leads, the other takes over when it dies, nothing runs twice', async () => {
    const standby = system.startController();
    const accepted = await submit(100);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // The first controller has led since the first test; kill it and let the standby take the lease.
    await system.controller.kill('SIGKILL');
    system.controller = standby;
    const report = await checkJobs(api, system.nats.url, accepted, 120_000);
    console.log('two-controller checker:', JSON.stringify(report));
    expect(report).toMatchObject({ accepted: 100, final: 100, lost: 0, duplicated: 0, regressed: 0 });
    expect(report.states['succeeded']).toBe(100);
  }, 180_000);

  // The runner leaves an exit record as it exits (decision 0008); without it, both attempts below
  // would be declared lost and run again (attempt 2), though the first one had finished.
  it('a runner that finished while its controller was frozen, then killed: the next controller records the exit, no second run', async () => {
    const id = await submitRunning(1);
    const frozen = system.controller;
    process.kill(frozen.pid ?? 0, 'SIGSTOP');
    // The runner finishes meanwhile: its stdin stays open (its controller is alive, only stopped).
    await delay(2500);
    await frozen.kill('SIGKILL');
    system.controller = system.startController();
    const job = await waitForJob(api, id, isFinal, 30_000);
    expect(job).toMatchObject({ state: 'succeeded', attempt: 1 });
    // A final job's exit records go with it.
    await vi.waitFor(() => expect(existsSync(join(TEST_EXIT_RECORD_DIR, 'acme', id))).toBe(false));
  }, 60_000);

  it('a runner that finished while NATS was away: the controller steps down, leads again and records the exit, no second run', async () => {
    // A 10 s lease: the controller steps down at least 3.3 s after NATS goes, well after its runner's
    // 1 s sleep ends (with the suite's 3 s lease a loaded machine could make the two race).
    await system.controller.kill();
    system.controller = system.startController({ FERRY_LEASE_SECONDS: '10' });
    const id = await submitRunning(1);
    await system.nats.stop('SIGKILL');
    await vi.waitFor(() => expect(system.controller.output).toContain('lost the controller lease'), { timeout: 20_000, interval: 100 });
    await system.nats.resume();
    const job = await waitForJob(api, id, isFinal, 60_000);
    expect(job).toMatchObject({ state: 'succeeded', attempt: 1 });
  }, 90_000);
});
