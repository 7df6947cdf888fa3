import type { Api } from '../support/api.ts';
import { checkJobs } from '../support/checker.ts';
import { FerrySystem } from '../support/system.ts';

let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start({ controllerEnv: { FERRY_MAX_CONCURRENT: '8' } });
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

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
});
