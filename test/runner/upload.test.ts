import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { FixtureServer } from './support/fixture-server.ts';
import { ensureRunnerBuilt, runRunner, specOf, type RunnerRun } from './support/runner-process.ts';

let server: FixtureServer;
let scratch: string;
let tmpDir: string;

beforeAll(async () => {
  ensureRunnerBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-runner-upload-'));
  tmpDir = join(scratch, 'tmp');
  await mkdir(tmpDir);
  server = await FixtureServer.start();
  server.serve('/sales.csv', 'region,amount\nnorth,1\nsouth,2\nnorth,3\n', 'text/csv');
  server.answer('PUT', '/stale', 409, 'attempt 1 is stale: attempt 2 is running');
  server.answer('PUT', '/forbidden', 403, 'bad token');
  server.answer('PUT', '/busy', 503, 'object store unavailable');
  server.answer('PUT', '/ok', 201);
  server.answer('PUT', '/full', 507, '{"type":"urn:ferry:problem:quota_exceeded"}');
});
afterAll(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await readdir(tmpDir)).toEqual([]);
  server.requests.length = 0;
});

function uploadTo(resultUrl: string | undefined, env: Record<string, string> = {}, sql = 'SELECT region, sum(amount) AS total FROM sales GROUP BY ALL'): Promise<RunnerRun> {
  return runRunner({
    spec: specOf('sql', { sources: { sales: { url: server.url('/sales.csv'), format: 'csv' } }, sql }),
    env: { FERRY_RESULT_URL: resultUrl, FERRY_RESULT_TOKEN: 'tok', FERRY_SOURCE_ALLOW_LOOPBACK: 'true', FERRY_TMP_DIR: tmpDir, ...env },
  });
}

describe('result upload', () => {
  it('uploads once, and a 2xx is success', async () => {
    const run = await uploadTo(server.url('/ok'));
    expect(run.code, run.stderr).toBe(0);
    expect(server.requestsTo('/ok')).toHaveLength(1);
  });

  it.each([
    ['/stale', 409, /HTTP 409: attempt 1 is stale/],
    ['/forbidden', 403, /HTTP 403: bad token/],
  ])('%s answering %i is a permanent ResultRefused', async (path, _status, message) => {
    const run = await uploadTo(server.url(path));
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'ResultRefused', message: expect.stringMatching(message) }]);
    expect(server.requestsTo(path)).toHaveLength(1);
  });

  it('a 503 is transient: exit 75, ResultUploadFailed', async () => {
    const run = await uploadTo(server.url('/busy'));
    expect(run.code).toBe(75);
    expect(run.errors).toEqual([{ reason: 'ResultUploadFailed', message: expect.stringMatching(/HTTP 503/) }]);
  });

  it('a refused connection is transient: exit 75', async () => {
    const run = await uploadTo(`http://127.0.0.1:${await freePort()}/upload`);
    expect(run.code).toBe(75);
    expect(run.errors).toEqual([{ reason: 'ResultUploadFailed', message: expect.stringMatching(/ECONNREFUSED/) }]);
  });

  it('a result over FERRY_RESULT_MAX_BYTES is not sent: exit 2, ResultTooLarge', async () => {
    const run = await uploadTo(server.url('/ok'), { FERRY_RESULT_MAX_BYTES: '8' });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'ResultTooLarge', message: expect.stringMatching(/over FERRY_RESULT_MAX_BYTES/) }]);
    expect(server.requestsTo('/ok')).toEqual([]);
  });

  it('a 507 (the tenant at its bytes quota, or a full store) is a permanent QuotaExceeded', async () => {
    const run = await uploadTo(server.url('/full'));
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'QuotaExceeded', message: expect.stringMatching(/HTTP 507/) }]);
  });

  it('a result that passes FERRY_RESULT_MAX_BYTES while DuckDB writes it is stopped there: ResultTooLarge, nothing sent', async () => {
    const started = Date.now();
    // About 100 GB if it ran to the end.
    const run = await uploadTo(server.url('/ok'), { FERRY_RESULT_MAX_BYTES: String(4 * 1024 ** 2) }, "SELECT repeat('x', 1000) AS s FROM range(100000000)");
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'ResultTooLarge', message: expect.stringMatching(/passed FERRY_RESULT_MAX_BYTES \(4\.0 MiB\) while it was written/) }]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(server.requestsTo('/ok')).toEqual([]);
  });

  it('a query that spills past FERRY_DUCKDB_TEMP_MAX_BYTES is stopped: DiskLimitExceeded', async () => {
    const run = await uploadTo(
      server.url('/ok'),
      { FERRY_DUCKDB_MEMORY_LIMIT: '100MB', FERRY_DUCKDB_THREADS: '1', FERRY_DUCKDB_TEMP_MAX_BYTES: String(8 * 1024 ** 2) },
      'SELECT i, md5(i::VARCHAR) AS h FROM range(3000000) t(i) ORDER BY h',
    );
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'DiskLimitExceeded', message: expect.stringMatching(/past FERRY_DUCKDB_TEMP_MAX_BYTES \(8\.0 MiB\)/) }]);
    expect(server.requestsTo('/ok')).toEqual([]);
  });

  it('a sql job without FERRY_RESULT_URL fails before fetching anything', async () => {
    const run = await uploadTo(undefined);
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'InvalidConfig', message: expect.stringMatching(/FERRY_RESULT_URL is required for sql jobs/) }]);
    expect(server.requests).toEqual([]);
  });
});
