import { createQueuedJob, jobKey, type Job } from '@ferry/contracts';
import { UsageCounter, storedBytes } from './usage.counter.js';

const T0 = new Date('2030-01-01T00:00:00Z');

function job(tenant: string, id: string, resultBytes?: number): Job {
  const queued = createQueuedJob({ id, tenant, pipeline: 'sleep', params: {}, labels: {}, maxAttempts: 1, timeoutSeconds: 60, startDeadlineSeconds: 60, now: T0 });
  return resultBytes === undefined ? queued : { ...queued, result: { contentType: 'text/csv', bytes: resultBytes, rows: 1, sha256: 'a'.repeat(64) } };
}

const A = job('acme', '01jq0000000000000000000001');
const B = job('acme', '01jq0000000000000000000002');
const C = job('globex', '01jq0000000000000000000003');
const key = (each: Job): string => jobKey(each.tenant, each.id);

describe('UsageCounter', () => {
  it('hands out nothing until every key of the first listing was read, so a new leader never undercounts', () => {
    const usage = new UsageCounter();
    usage.observe(key(A), A);
    expect(usage.takeChanged(T0)).toEqual([]);
    usage.listed([key(A), key(B), key(C)]);
    usage.observe(key(B), B);
    expect(usage.complete).toBe(false);
    expect(usage.takeChanged(T0)).toEqual([]);
    // C was removed before it was read: reading its absence completes the count.
    usage.observe(key(C), undefined);
    expect(usage.complete).toBe(true);
    expect(usage.takeChanged(T0)).toEqual([['acme', { jobs: 2, bytes: storedBytes(A) + storedBytes(B), countedAt: T0.toISOString() }]]);
  });

  it('counts a record once however often it is read, follows its result, and reports only tenants that moved', () => {
    const usage = new UsageCounter();
    usage.listed([]);
    usage.observe(key(A), A);
    usage.observe(key(A), A);
    usage.observe(key(C), C);
    expect(Object.fromEntries(usage.takeChanged(T0))).toEqual({
      acme: { jobs: 1, bytes: storedBytes(A), countedAt: T0.toISOString() },
      globex: { jobs: 1, bytes: storedBytes(C), countedAt: T0.toISOString() },
    });
    const withResult = { ...A, result: { contentType: 'text/csv', bytes: 1_000_000, rows: 1, sha256: 'a'.repeat(64) } };
    usage.observe(key(A), withResult);
    usage.observe(key(A), withResult);
    expect(usage.takeChanged(T0)).toEqual([['acme', { jobs: 1, bytes: storedBytes(withResult), countedAt: T0.toISOString() }]]);
    expect(storedBytes(withResult)).toBeGreaterThan(1_000_000);
    usage.observe(key(A), undefined);
    expect(usage.takeChanged(T0)).toEqual([['acme', { jobs: 0, bytes: 0, countedAt: T0.toISOString() }]]);
    expect(usage.takeChanged(T0)).toEqual([]);
  });

  it('reports a tenant again after its publication failed', () => {
    const usage = new UsageCounter();
    usage.listed([]);
    usage.observe(key(C), C);
    usage.takeChanged(T0);
    usage.restore(['globex']);
    expect(usage.takeChanged(T0).map(([tenant]) => tenant)).toEqual(['globex']);
  });
});
