import { createHash } from 'node:crypto';
import { CURRENT_ATTEMPT, signAttemptToken, type UploadAttempt } from '@ferry/contracts';
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

const upload = (tenant: string, id: string, attempt: UploadAttempt, token: string, body = 'a,b\n1,2\n', contentType = 'text/csv') =>
  fetch(`${system.gateway.url}/internal/v1/results/${tenant}/${id}/${attempt}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'ferry-result-rows': '1' },
    body,
  });

async function runningJob(): Promise<{ id: string; token: string }> {
  const { body: job } = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 30 } });
  await waitForJob(api, job.id, (current) => current.state === 'running');
  return { id: job.id, token: signAttemptToken(TEST_RESULT_SECRET, 'acme', job.id, 1) };
}

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

  it('takes an upload for the current attempt with its own token only, whatever executor ran the job; attempt 0 is none', async () => {
    const { id, token } = await runningJob();
    const current = signAttemptToken(TEST_RESULT_SECRET, 'acme', id, CURRENT_ATTEMPT);
    expect((await upload('acme', id, CURRENT_ATTEMPT, token)).status).toBe(401);
    expect((await upload('acme', id, 1, current)).status).toBe(401);
    expect((await upload('acme', id, 0, signAttemptToken(TEST_RESULT_SECRET, 'acme', id, 0))).status).toBe(404);
    const stored = await upload('acme', id, CURRENT_ATTEMPT, current);
    expect(stored.status).toBe(201);
    // Stored for attempt 1, the record's attempt: the numbered token now finds it done.
    expect((await upload('acme', id, 1, token)).status).toBe(409);
    expect((await api.get(`/v1/jobs/${id}`)).body.result).toMatchObject({ bytes: 8, rows: 1 });
    await api.post(`/v1/jobs/${id}/cancel`);
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

  it('of concurrent uploads with one token exactly one is stored, and the object is the one the record names', async () => {
    const { id, token } = await runningJob();
    // Bodies of different sizes, so that uploads overlap rather than run one after another.
    const bodies = Array.from({ length: 8 }, (_unused, index) => `n\n${String(index).repeat(1 + index * 150_000)}\n`);
    const statuses = await Promise.all(bodies.map(async (body) => (await upload('acme', id, 1, token, body)).status));
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(7);
    await api.post(`/v1/jobs/${id}/cancel`);
    const job = await waitForJob(api, id, isFinal);
    const result = await api.request('GET', `/v1/jobs/${id}/result`);
    expect(createHash('sha256').update(result.text).digest('hex')).toBe(job.result.sha256);
  });

  it('serves a result as a download that is never sniffed, and refuses a type that is not a result type', async () => {
    const { id, token } = await runningJob();
    expect((await upload('acme', id, 1, token, '<script>alert(1)</script>', 'text/html')).status).toBe(415);
    expect((await upload('acme', id, 1, token, 'a\n1\n', 'text/csv; charset=utf-8')).status).toBe(201);
    await api.post(`/v1/jobs/${id}/cancel`);
    await waitForJob(api, id, isFinal);
    const result = await api.request('GET', `/v1/jobs/${id}/result`);
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('text/csv');
    expect(result.headers.get('x-content-type-options')).toBe('nosniff');
    expect(result.headers.get('content-disposition')).toBe(`attachment; filename="${id}.csv"`);
  });
});
