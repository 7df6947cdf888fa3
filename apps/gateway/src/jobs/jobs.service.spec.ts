import { ErrorCode, jobKey, transitionJob, type IdempotencyRecord, type TenantUsage } from '@ferry/contracts';
import type { ClaimOutcome } from '@ferry/nats';
import { MemoryJobStore } from '@ferry/nats/testing';
import { SPEC_CATALOG as catalog } from '@ferry/pipelines/testing';
import { TenantQuotas } from '../quotas/tenant-quotas.js';
import { JobsService, type JobsStores } from './jobs.service.js';

const NOW = new Date('2030-01-01T00:00:00Z');
class FakeIdempotency {
  readonly claims = new Map<string, IdempotencyRecord>();
  find(tenant: string, key: string): Promise<IdempotencyRecord | undefined> {
    return Promise.resolve(this.claims.get(`${tenant}.${key}`));
  }
  claim(tenant: string, key: string, record: IdempotencyRecord): Promise<ClaimOutcome> {
    const existing = this.claims.get(`${tenant}.${key}`);
    if (existing !== undefined) return Promise.resolve({ claimed: false, existing });
    this.claims.set(`${tenant}.${key}`, record);
    return Promise.resolve({ claimed: true });
  }
}

interface World {
  readonly jobs: MemoryJobStore;
  readonly idempotency: FakeIdempotency;
  readonly usage: Map<string, TenantUsage>;
  /** Moves the quotas' clock past their cache of the usage. */
  readonly later: () => void;
  readonly events: string[];
  readonly service: JobsService;
}

function service(): World {
  const jobs = new MemoryJobStore();
  const usage = new Map<string, TenantUsage>();
  let quotaClock = NOW.getTime();
  const quotas = new TenantQuotas({ stores: () => ({ usage: { get: (tenant) => Promise.resolve(usage.get(tenant)) } }) }, { jobs: 2, bytes: 1_000_000 }, () => quotaClock);
  const later = (): void => {
    quotaClock += 60_000;
  };
  const idempotency = new FakeIdempotency();
  const events: string[] = [];
  const stores: JobsStores = {
    jobs,
    idempotency,
    events: { publish: (type, job) => Promise.resolve(events.push(`${type} ${job.state} ${job.cancelRequested}`)) },
  };
  return { jobs, idempotency, usage, later, events, service: new JobsService({ stores: () => stores }, catalog, () => NOW, quotas) };
}

const body = { pipeline: 'sleep', params: { seconds: 1 } };

describe('JobsService (against fakes of its stores)', () => {
  it('records a submission as a queued job, created at the clock’s time', async () => {
    const { jobs, service: jobsService } = service();
    const { job, created } = await jobsService.submit('acme', body, undefined);
    expect(created).toBe(true);
    expect(job).toMatchObject({ tenant: 'acme', pipeline: 'sleep', state: 'queued', attempt: 0, createdAt: NOW.toISOString() });
    expect(jobs.records.get(jobKey('acme', job.id))?.job).toEqual(job);
  });

  it('converges retries with one Idempotency-Key on one job, and refuses the key with another body', async () => {
    const { jobs, service: jobsService } = service();
    const first = await jobsService.submit('acme', body, 'order-42');
    const again = await jobsService.submit('acme', { params: { seconds: 1 }, pipeline: 'sleep' }, 'order-42');
    expect(again).toEqual({ job: first.job, created: false });
    await expect(jobsService.submit('acme', { ...body, params: { seconds: 2 } }, 'order-42')).rejects.toMatchObject({ code: ErrorCode.IdempotencyMismatch });
    // Another tenant's key of the same name is its own.
    expect((await jobsService.submit('globex', body, 'order-42')).created).toBe(true);
    expect(jobs.records.size).toBe(2);
  });

  it('creates the claimed job when a retry finds the claim without its record (a crash between the two)', async () => {
    const { jobs, service: jobsService } = service();
    const first = await jobsService.submit('acme', body, 'order-8');
    jobs.records.clear();
    const retried = await jobsService.submit('acme', body, 'order-8');
    expect(retried).toMatchObject({ created: false, job: { id: first.job.id, state: 'queued' } });
    expect(jobs.records.has(jobKey('acme', first.job.id))).toBe(true);
  });

  it('answers with the winner’s record when its create loses a race', async () => {
    const { jobs, service: jobsService } = service();
    const winner = { ...(await service().service.submit('acme', body, undefined)).job, labels: { by: 'the other gateway' } };
    jobs.racingCreate = winner;
    const mine = await jobsService.submit('acme', body, undefined);
    expect(mine.created).toBe(false);
    expect(mine.job.labels).toEqual({ by: 'the other gateway' });
  });

  it('refuses a malformed Idempotency-Key before it claims or records anything', async () => {
    const { jobs, idempotency, service: jobsService } = service();
    await expect(jobsService.submit('acme', body, 'no spaces allowed\u0007')).rejects.toMatchObject({ code: ErrorCode.InvalidRequest });
    expect(idempotency.claims.size + jobs.records.size).toBe(0);
  });

  it('refuses a new job while its tenant is at a quota, naming it; a retry of an accepted submission still gets its job', async () => {
    const { jobs, idempotency, usage, later, service: jobsService } = service();
    const accepted = await jobsService.submit('acme', body, 'key-1');
    usage.set('acme', { jobs: 2, bytes: 10, countedAt: NOW.toISOString() });
    later();
    await expect(jobsService.submit('acme', body, undefined)).rejects.toMatchObject({ code: ErrorCode.QuotaExceeded, message: expect.stringContaining('FERRY_TENANT_MAX_JOBS') });
    // Refused before anything is written: a new key is not claimed.
    await expect(jobsService.submit('acme', body, 'key-2')).rejects.toMatchObject({ code: ErrorCode.QuotaExceeded });
    expect(idempotency.claims.has('acme.key-2')).toBe(false);
    expect((await jobsService.submit('acme', body, 'key-1')).job).toEqual(accepted.job);
    expect(jobs.records.size).toBe(1);
    expect((await jobsService.submit('globex', body, undefined)).created).toBe(true);
  });

  it('marks a cancel request once, with one state event; a final job is a conflict; a malformed id is not found', async () => {
    const { jobs, events, service: jobsService } = service();
    const { job } = await jobsService.submit('acme', body, undefined);
    expect(await jobsService.requestCancel('acme', job.id)).toMatchObject({ cancelRequested: true });
    await jobsService.requestCancel('acme', job.id);
    expect(events).toEqual(['state queued true']);

    const stored = jobs.records.get(jobKey('acme', job.id));
    if (stored === undefined) throw new Error('no record');
    jobs.records.set(jobKey('acme', job.id), { ...stored, job: transitionJob(stored.job, { state: 'cancelled' }, NOW) });
    await expect(jobsService.requestCancel('acme', job.id)).rejects.toMatchObject({ code: ErrorCode.Conflict });
    await expect(jobsService.requestCancel('acme', 'not-a-job-id')).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(jobsService.get('globex', job.id)).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });
});
