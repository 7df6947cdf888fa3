import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Api } from '../support/api.ts';
import { HttpFixture } from '../support/http-fixture.ts';
import { generateSales, readParquet, SALES_BY_REGION_SQL, toCsv, toNdjson, totalsByRegion } from '../support/sales-fixture.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';

let system: FerrySystem;
let api: Api;
let fixture: HttpFixture;
let scratch: string;

// A generated sales table and its aggregate, computed by the test without DuckDB (shared with the runner's suite).
const sales = generateSales(5000);
const expected = totalsByRegion(sales);
const SQL = SALES_BY_REGION_SQL;

/** Rows of a CSV result as the aggregate's shape. */
const csvTotals = (text: string): unknown[] =>
  text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [region, orders, total] = line.split(',');
      return { region, orders: Number(orders), total: Number(total) };
    });

beforeAll(async () => {
  fixture = await HttpFixture.start({
    '/sales.csv': { contentType: 'text/csv', body: toCsv(sales) },
    '/sales.ndjson': { contentType: 'application/x-ndjson', body: toNdjson(sales) },
    '/to-metadata': { status: 302, location: 'http://169.254.169.254/latest/meta-data/' },
    '/monitoring': { contentType: 'text/csv', body: '<html><body>server_id NSECRETMONITORINGPAGE connections 42</body></html>\n' },
  });
  system = await FerrySystem.start();
  api = system.api();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-sql-test-'));
});
afterAll(async () => {
  await system?.stop();
  await fixture?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const run = async (params: unknown): Promise<any> => {
  const response = await api.post('/v1/jobs', { pipeline: 'sql', params, maxAttempts: 3 });
  expect(response.status).toBe(202);
  return waitForJob(api, response.body.id, isFinal, 30_000);
};

describe('sql pipeline end to end', () => {
  it('a group-by over a CSV served over HTTP succeeds and its CSV result equals the aggregate', async () => {
    const job = await run({ sources: { sales: { url: `${fixture.url}/sales.csv`, format: 'csv' } }, sql: SQL });
    expect(job).toMatchObject({ state: 'succeeded', result: { contentType: 'text/csv', rows: expected.length } });
    const result = await api.get(`/v1/jobs/${job.id}/result`);
    expect(result.headers.get('content-type')).toBe('text/csv');
    expect(result.text.split('\n')[0]).toBe('region,orders,total');
    expect(csvTotals(result.text)).toEqual(expected);
  });

  it('ndjson in, ndjson and json out', async () => {
    const source = { sales: { url: `${fixture.url}/sales.ndjson`, format: 'ndjson' } };
    const ndjsonJob = await run({ sources: source, sql: SQL, output: { format: 'ndjson' } });
    expect(ndjsonJob.result.contentType).toBe('application/x-ndjson');
    const lines = (await api.get(`/v1/jobs/${ndjsonJob.id}/result`)).text.trim().split('\n').map((line) => JSON.parse(line) as unknown);
    expect(lines).toEqual(expected);

    const jsonJob = await run({ sources: source, sql: SQL, output: { format: 'json' } });
    expect(jsonJob.result.contentType).toBe('application/json');
    expect(JSON.parse((await api.get(`/v1/jobs/${jsonJob.id}/result`)).text)).toEqual(expected);
  });

  it('parquet output round-trips', async () => {
    const job = await run({ sources: { sales: { url: `${fixture.url}/sales.csv`, format: 'csv' } }, sql: SQL, output: { format: 'parquet' } });
    expect(job.result.contentType).toBe('application/vnd.apache.parquet');
    const response = await fetch(`${system.gateway.url}/v1/jobs/${job.id}/result`, { headers: { authorization: `Bearer ${'acme-key-0123456789abcdef'}` } });
    const path = join(scratch, 'result.parquet');
    await writeFile(path, Buffer.from(await response.arrayBuffer()));
    expect(await readParquet(path)).toEqual(expected);
  });

  it('the sample CSV shipped in the repo works through file:// in local mode', async () => {
    const { REPO_ROOT } = await import('../support/paths.ts');
    const job = await run({
      sources: { orders: { url: `file://${REPO_ROOT}/data/samples/orders.csv`, format: 'csv' } },
      sql: 'SELECT count(*) AS orders FROM orders',
    });
    expect(job.state).toBe('succeeded');
    expect((await api.get(`/v1/jobs/${job.id}/result`)).text).toBe('orders\n200\n');
  });
});

describe('source policy and lockdown end to end', () => {
  it('a source at the metadata address is refused at submit with a 422 naming the source', async () => {
    const response = await api.post('/v1/jobs', { pipeline: 'sql', params: { sources: { meta: { url: 'http://169.254.169.254/latest/meta-data/', format: 'csv' } }, sql: 'SELECT * FROM meta' } });
    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'params.sources.meta.url' })]);
  });

  it('with the default settings a loopback source is refused: SourceRefused, without a retry', async () => {
    // `localhost` resolves to loopback, which a controller does not allow unless told to (the tests' own does).
    const strict = await FerrySystem.start({ controllerEnv: { FERRY_SOURCE_ALLOW_LOOPBACK: '' } });
    try {
      const port = new URL(fixture.url).port;
      const response = await strict.api().post('/v1/jobs', { pipeline: 'sql', params: { sources: { sales: { url: `http://localhost:${port}/sales.csv`, format: 'csv' } }, sql: SQL }, maxAttempts: 3 });
      const job = await waitForJob(strict.api(), response.body.id, isFinal, 30_000);
      expect(job).toMatchObject({ state: 'failed', reason: 'SourceRefused', attempt: 1 });
    } finally {
      await strict.stop();
    }
  });

  it("a source that does not parse fails the job without echoing what it served into the job's message", async () => {
    // Read as CSV, the page's first line becomes a column name, which DuckDB lists when a column is not found.
    const job = await run({ sources: { page: { url: `${fixture.url}/monitoring`, format: 'csv' } }, sql: 'SELECT amount FROM page' });
    expect(job).toMatchObject({ state: 'failed' });
    expect(job.message).not.toMatch(/NSECRETMONITORINGPAGE|connections 42|<html>/);
    const logs = await api.get(`/v1/jobs/${job.id}/logs`);
    expect(logs.text).not.toContain('NSECRETMONITORINGPAGE');
  });

  it('a redirect to the metadata address is refused too', async () => {
    const job = await run({ sources: { meta: { url: `${fixture.url}/to-metadata`, format: 'csv' } }, sql: 'SELECT * FROM meta' });
    expect(job).toMatchObject({ state: 'failed', reason: 'SourceRefused' });
  });

  it('SQL cannot read /etc/passwd', async () => {
    const job = await run({ sources: { sales: { url: `${fixture.url}/sales.csv`, format: 'csv' } }, sql: "SELECT * FROM read_csv('/etc/passwd')" });
    expect(job.state).toBe('failed');
    expect(job.result).toBeNull();
  });

  it('a file:// source outside the data folder is refused', async () => {
    const job = await run({ sources: { secrets: { url: 'file:///etc/passwd', format: 'csv' } }, sql: 'SELECT * FROM secrets' });
    expect(job).toMatchObject({ state: 'failed', reason: 'SourceRefused' });
  });
});
