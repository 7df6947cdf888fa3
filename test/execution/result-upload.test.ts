import { signAttemptToken } from '@ferry/contracts';
import type { Api } from '../support/api.ts';
import { TEST_RESULT_SECRET } from '../support/gateway.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

let system: FerrySystem;
let api: Api;

beforeAll(async () => {
  system = await FerrySystem.start({ controllerEnv: { FERRY_RETRY_BASE_SECONDS: '1' } });
  api = system.api();
});
afterAll(async () => {
  await system?.stop();
});

const upload = (tenant: string, id: string, attempt: number, token: string, body = 'a,b\n1,2\n') =>
  fetch(`${system.gateway.url}/internal/v1/results/${tenant}/${id}/${attempt}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'ferry-result-rows': '1' },
    body,
  });

describe('result upload route', () => {
  it('takes one upload from the current attempt, with its token only', async () => {
    const { body: job } = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 5 } });
    await waitForJob(api, job.id, (current) => current.state === 'running');
    const token = signAttemptToken(TEST_RESULT_SECRET, 'acme', job.id, 1);
    expect((await upload('acme', job.id, 1, 'not-the-token')).status).toBe(401);
    expect((await upload('globex', job.id, 1, token)).status).toBe(401);
    const first = await upload('acme', job.id, 1, token);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ contentType: 'text/csv', bytes: 8, rows: 1 });
    expect((await upload('acme', job.id, 1, token)).status).toBe(409);
    expect((await api.get(`/v1/jobs/${job.id}`)).body.result).toMatchObject({ bytes: 8, rows: 1 });
    await api.post(`/v1/jobs/${job.id}/cancel`);
  });

  it("refuses a stale attempt's upload once the job moved to its next attempt", async () => {
    const { body: job } = await api.post('/v1/jobs', { pipeline: 'fail', params: { exitCode: 75, afterSeconds: 0.5 }, maxAttempts: 3 });
    await waitForJob(api, job.id, (current) => current.attempt === 2);
    const stale = await upload('acme', job.id, 1, signAttemptToken(TEST_RESULT_SECRET, 'acme', job.id, 1));
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { detail: string }).detail).toMatch(/not the job's current attempt/);
    const final = await waitForJob(api, job.id, isFinal);
    expect(final.result).toBeNull();
  });
});
