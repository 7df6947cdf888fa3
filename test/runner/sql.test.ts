import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureServer } from './support/fixture-server.ts';
import { ensureRunnerBuilt, runRunner, specOf } from './support/runner-process.ts';
import { generateSales, readParquet, SALES_BY_REGION_SQL, toCsv, toNdjson, toParquet, totalsByRegion } from '../support/sales-fixture.ts';

const sales = generateSales(2_000);
const expected = totalsByRegion(sales);
const TOKEN = 'attempt-token-0123456789';

let server: FixtureServer;
let scratch: string;
let tmpDir: string;
let dataDir: string;

beforeAll(async () => {
  ensureRunnerBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-runner-sql-'));
  tmpDir = join(scratch, 'tmp');
  dataDir = join(scratch, 'data');
  await Promise.all([mkdir(tmpDir), mkdir(dataDir)]);
  server = await FixtureServer.start();
  server.serve('/sales.csv', toCsv(sales), 'text/csv');
  server.serve('/sales.ndjson', toNdjson(sales), 'application/x-ndjson');
  server.serve('/sales.json', JSON.stringify(sales), 'application/json');
  server.serve('/sales.parquet', await toParquet(sales, scratch));
  server.redirect('/hop-1', '/hop-2', 301);
  server.redirect('/hop-2', server.url('/sales.csv', 'localhost'), 307);
  server.answer('PUT', '/upload', 204);
  await writeFile(join(dataDir, 'sales.csv'), toCsv(sales));
});
afterAll(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  // Every path out of the runner removes its private temp folder.
  expect(await readdir(tmpDir)).toEqual([]);
  server.requests.length = 0;
});

function sqlJob(sources: Record<string, { url: string; format: string }>, outputFormat?: string) {
  return runRunner({
    spec: specOf('sql', { sources, sql: SALES_BY_REGION_SQL, ...(outputFormat ? { output: { format: outputFormat } } : {}) }),
    env: {
      FERRY_RESULT_URL: server.url('/upload'),
      FERRY_RESULT_TOKEN: TOKEN,
      FERRY_SOURCE_ALLOW_LOOPBACK: 'true',
      FERRY_TMP_DIR: tmpDir,
      FERRY_DATA_DIR: dataDir,
    },
  });
}

function theUpload() {
  const uploads = server.requestsTo('/upload');
  expect(uploads).toHaveLength(1);
  const [upload] = uploads;
  if (!upload) throw new Error('no upload');
  return upload;
}

describe('sql pipeline', () => {
  it('aggregates a CSV source and uploads the CSV the test computes on its own', async () => {
    const run = await sqlJob({ sales: { url: server.url('/sales.csv'), format: 'csv' } });
    expect(run.code, run.stderr).toBe(0);
    const upload = theUpload();
    expect(upload.method).toBe('PUT');
    expect(upload.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'text/csv',
      'content-length': String(upload.body.length),
      'ferry-result-rows': String(expected.length),
    });
    const csv = ['region,orders,total', ...expected.map((row) => `${row.region},${row.orders},${row.total}`)].join('\n') + '\n';
    expect(upload.body.toString()).toBe(csv);

    expect(run.progress.length).toBeGreaterThanOrEqual(3);
    expect(run.progress.map((progress) => progress.percent)).toEqual([...run.progress.map((progress) => progress.percent)].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(run.progress.at(-2)).toMatchObject({ percent: 90, rows: expected.length });
    expect(run.progress.at(-1)).toMatchObject({ percent: 100, rows: expected.length });
    expect(run.stdout).toMatch(/fetched source "sales" \(csv, [\d.]+ KiB\) in \d+ ms/);
    expect(expected).toHaveLength(4);
    expect(run.stdout).toMatch(/the query wrote 4 rows as csv in \d+ ms/);
    expect(run.errors).toEqual([]);
  });

  it('writes json as one array', async () => {
    const run = await sqlJob({ sales: { url: server.url('/sales.ndjson'), format: 'ndjson' } }, 'json');
    expect(run.code, run.stderr).toBe(0);
    const upload = theUpload();
    expect(upload.headers['content-type']).toBe('application/json');
    expect(JSON.parse(upload.body.toString())).toEqual(expected);
  });

  it('writes ndjson as one object per line', async () => {
    const run = await sqlJob({ sales: { url: server.url('/sales.json'), format: 'json' } }, 'ndjson');
    expect(run.code, run.stderr).toBe(0);
    const upload = theUpload();
    expect(upload.headers['content-type']).toBe('application/x-ndjson');
    const lines = upload.body.toString().trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line))).toEqual(expected);
  });

  it('reads Parquet and writes Parquet that reads back to the same rows', async () => {
    const run = await sqlJob({ sales: { url: server.url('/sales.parquet'), format: 'parquet' } }, 'parquet');
    expect(run.code, run.stderr).toBe(0);
    const upload = theUpload();
    expect(upload.headers['content-type']).toBe('application/vnd.apache.parquet');
    const file = join(scratch, 'result.parquet');
    await writeFile(file, upload.body);
    expect(await readParquet(file)).toEqual(expected);
  });

  it('follows redirects through allowed hops', async () => {
    const run = await sqlJob({ sales: { url: server.url('/hop-1'), format: 'csv' } });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/after 2 redirect\(s\)/);
    expect(server.requestsTo('/sales.csv')).toHaveLength(1);
  });

  it('joins a file:// source from the data folder with an http one', async () => {
    const run = await runRunner({
      spec: specOf('sql', {
        sources: {
          local: { url: `file://${dataDir}/sales.csv`, format: 'csv' },
          remote: { url: server.url('/sales.ndjson'), format: 'ndjson' },
        },
        sql: 'SELECT (SELECT count(*) FROM local)::INTEGER AS local_rows, (SELECT count(*) FROM remote)::INTEGER AS remote_rows',
      }),
      env: { FERRY_RESULT_URL: server.url('/upload'), FERRY_RESULT_TOKEN: TOKEN, FERRY_SOURCE_ALLOW_LOOPBACK: 'true', FERRY_TMP_DIR: tmpDir, FERRY_DATA_DIR: dataDir },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(theUpload().body.toString()).toBe(`local_rows,remote_rows\n${sales.length},${sales.length}\n`);
  });
});
