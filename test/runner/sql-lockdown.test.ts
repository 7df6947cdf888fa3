import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureServer } from './support/fixture-server.ts';
import { ensureRunnerBuilt, runRunner, specOf } from './support/runner-process.ts';

let server: FixtureServer;
let scratch: string;
let tmpRoot: string;
let outside: string;

beforeAll(async () => {
  ensureRunnerBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-runner-lockdown-'));
  tmpRoot = join(scratch, 'tmp');
  outside = join(scratch, 'outside');
  await mkdir(tmpRoot);
  await mkdir(outside);
  await writeFile(join(outside, 'secret.csv'), 'secret\n42\n');
  server = await FixtureServer.start();
  server.serve('/sales.csv', 'region,amount\nnorth,1\nsouth,2\n', 'text/csv');
  server.answer('PUT', '/upload', 204);
});
afterAll(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});

/**
 * What a hostile `sql` param tries, run by the real runner: each attempt fails permanently, uploads
 * nothing and writes nothing outside the runner's temp folder (which is gone afterwards).
 */
// Concurrent: every case has its own temp folder, and none may upload or write anything.
describe.concurrent('sql lockdown', () => {
  it.each([
    ['read /etc/passwd', () => "SELECT * FROM read_csv('/etc/passwd')", 'SqlError', /Permission Error/],
    ['read a file next to the temp folder', () => `SELECT * FROM read_csv('${outside}/secret.csv')`, 'SqlError', /Permission Error/],
    ['list /etc', () => "SELECT * FROM glob('/etc/*')", 'SqlError', /Permission Error/],
    ['read over the network', () => "SELECT * FROM read_csv('https://example.com/data.csv')", 'SqlError', /Permission Error/],
    ['install an extension', () => 'INSTALL httpfs', 'InvalidSql', /not a LOAD statement/],
    ['load an extension', () => 'LOAD httpfs', 'InvalidSql', /not a LOAD statement/],
    // Preparing the COPY to learn its type already binds it, and the lockdown refuses the path.
    ['write a file with COPY', () => `COPY (SELECT 1) TO '${outside}/written.csv'`, 'SqlError', /Permission Error/],
    ['write a file with a relative path', () => "COPY (SELECT 1) TO 'written.csv'", 'SqlError', /Permission Error/],
    ['write a file after a SELECT', () => `SELECT 1; COPY (SELECT 1) TO '${outside}/written.csv'`, 'InvalidSql', /not 2 statements/],
    ['write through query()', () => `SELECT * FROM query('COPY (SELECT 1) TO ''${outside}/written.csv''')`, 'SqlError', /single SELECT/],
    ['break out of the COPY wrapper', () => `SELECT 1) TO '${outside}/written.csv' (FORMAT csv); SELECT (1`, 'SqlError', /Parser Error/],
    ['create a database file', () => `ATTACH '${outside}/db.duckdb'`, 'InvalidSql', /not a ATTACH statement/],
    ['turn external access back on', () => 'SET enable_external_access = true', 'InvalidSql', /not a SET statement/],
    ['widen allowed_directories', () => "SET allowed_directories = ['/']", 'InvalidSql', /not a SET statement/],
    ['change a setting through a PRAGMA', () => "PRAGMA memory_limit = '64GB'", 'InvalidSql', /not a SET statement/],
    ['turn on profiling output', () => 'PRAGMA enable_profiling', 'InvalidSql', /not a PRAGMA statement/],
    ['run two SELECTs', () => 'SELECT 1; SELECT 2', 'InvalidSql', /exactly one SELECT statement, not 2/],
  ])('cannot %s', async (_what, sql, reason, message) => {
    const tmpDir = await mkdtemp(join(tmpRoot, 'case-'));
    const run = await runRunner({
      spec: specOf('sql', { sources: { sales: { url: server.url('/sales.csv'), format: 'csv' } }, sql: sql() }),
      env: { FERRY_RESULT_URL: server.url('/upload'), FERRY_RESULT_TOKEN: 't', FERRY_SOURCE_ALLOW_LOOPBACK: 'true', FERRY_TMP_DIR: tmpDir },
    });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(run.errors).toEqual([{ reason, message: expect.stringMatching(message) }]);
    expect(server.requestsTo('/upload')).toEqual([]);
    expect(await readdir(outside)).toEqual(['secret.csv']);
    expect(existsSync(join(outside, 'written.csv'))).toBe(false);
    expect(existsSync(join(tmpRoot, 'written.csv'))).toBe(false);
    expect(await readdir(tmpDir)).toEqual([]);
  });
});
