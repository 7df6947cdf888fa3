import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLockedDatabase, SqlSession } from './duckdb.session.js';

/**
 * The lockdown itself, against the real engine: what the user's SELECT could reach if every check in
 * front of it failed. Files in the work folder stay usable; nothing else is.
 */
describe('DuckDB lockdown', () => {
  let workDir: string;
  let outside: string;

  beforeEach(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ferry-duckdb-work-'));
    outside = await mkdtemp(join(tmpdir(), 'ferry-duckdb-outside-'));
    await writeFile(join(workDir, 'in.csv'), 'g,v\na,1\nb,2\na,3\n');
    await writeFile(join(outside, 'secret.csv'), 'secret\n42\n');
  });
  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  async function withLocked(body: (run: (sql: string) => Promise<unknown>) => Promise<void>): Promise<void> {
    const { instance, connection } = await openLockedDatabase({ workDir, threads: 1, memoryLimit: '256MB', tempMaxBytes: 1024 ** 3 });
    try {
      await body(async (sql) => (await connection.run(sql)).getRowObjectsJson());
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }

  it('reads and writes the work folder', async () => {
    await withLocked(async (run) => {
      expect(await run(`SELECT g, sum(v)::INT AS s FROM read_csv('${workDir}/in.csv') GROUP BY g ORDER BY g`)).toEqual([
        { g: 'a', s: 4 },
        { g: 'b', s: 2 },
      ]);
      await run(`COPY (SELECT 1 AS x) TO '${workDir}/out.csv' (FORMAT csv, HEADER true)`);
    });
    expect(await readFile(join(workDir, 'out.csv'), 'utf8')).toBe('x\n1\n');
  });

  it('spills to the work folder instead of running out of memory', async () => {
    const { instance, connection } = await openLockedDatabase({ workDir, threads: 1, memoryLimit: '32MB', tempMaxBytes: 1024 ** 3 });
    let spillFiles = 0;
    const watch = setInterval(() => {
      if (existsSync(join(workDir, 'spill'))) spillFiles = Math.max(spillFiles, readdirSync(join(workDir, 'spill')).length);
    }, 5);
    try {
      // About 50 MB of rows to sort under a 32 MB limit.
      const sorted = `SELECT i, md5(i::VARCHAR) AS h FROM range(1000000) t(i) ORDER BY h`;
      const result = await connection.run(`COPY (${sorted}) TO '${workDir}/sorted.csv' (FORMAT csv)`);
      expect(result.rowsChanged).toBe(1_000_000);
    } finally {
      clearInterval(watch);
      connection.closeSync();
      instance.closeSync();
    }
    expect(spillFiles).toBeGreaterThan(0);
  });

  it('sets its spill bound before the lock, where the SQL cannot raise it', async () => {
    const { instance, connection } = await openLockedDatabase({ workDir, threads: 1, memoryLimit: '32MB', tempMaxBytes: 1024 ** 2 });
    try {
      const read = async (): Promise<unknown> => (await connection.run("SELECT current_setting('max_temp_directory_size') AS bound")).getRowObjectsJson();
      expect(await read()).toEqual([{ bound: '1.0 MiB' }]);
      await expect(connection.run("SET max_temp_directory_size = '100GiB'")).rejects.toThrow(/locked/);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it.each([
    ['a file outside', (o: string) => `SELECT * FROM read_csv('${o}/secret.csv')`],
    ['/etc/passwd', () => `SELECT * FROM read_csv('/etc/passwd')`],
    ['/etc/passwd as text', () => `SELECT * FROM read_text('/etc/passwd')`],
    ['a path that climbs out', (o: string) => `SELECT * FROM read_csv('${o}/../${o.split('/').pop()}/secret.csv')`],
    ['a glob outside', () => `SELECT * FROM glob('/etc/*')`],
    ['the network', () => `SELECT * FROM read_csv('https://example.com/x.csv')`],
    ['an extension install', () => 'INSTALL httpfs'],
    ['an extension load', () => 'LOAD httpfs'],
    ['a write outside', (o: string) => `COPY (SELECT 1) TO '${o}/written.csv'`],
    ['a database file outside', (o: string) => `ATTACH '${o}/x.duckdb'`],
    ['an export outside', (o: string) => `EXPORT DATABASE '${o}/export'`],
  ])('refuses %s', async (_what, statement) => {
    await withLocked(async (run) => {
      await expect(run(statement(outside))).rejects.toThrow(/Permission Error|disabled/);
    });
    expect(existsSync(join(outside, 'written.csv'))).toBe(false);
    expect(existsSync(join(outside, 'x.duckdb'))).toBe(false);
    expect(existsSync(join(outside, 'export'))).toBe(false);
  });

  it.each([
    'SET enable_external_access = true',
    "SET allowed_directories = ['/']",
    'RESET enable_external_access',
    'SET lock_configuration = false',
    'SET autoload_known_extensions = true',
    'SET memory_limit = \'64GB\'',
    "PRAGMA memory_limit = '64GB'",
    'SET threads = 64',
  ])('keeps the configuration locked: %s', async (statement) => {
    await withLocked(async (run) => {
      await expect(run(statement)).rejects.toThrow(/the configuration has been locked/);
      await expect(run(`SELECT * FROM read_csv('/etc/passwd')`)).rejects.toThrow(/Permission Error/);
    });
  });
});

describe('SqlSession', () => {
  let workDir: string;
  let session: SqlSession;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ferry-duckdb-session-'));
    await writeFile(join(workDir, 'sales.csv'), 'region,amount\nnorth,10\nsouth,5\nnorth,7\n');
    session = await SqlSession.open({ workDir, threads: 1, memoryLimit: '256MB', tempMaxBytes: 1024 ** 3 });
    await session.registerView('sales', 'csv', join(workDir, 'sales.csv'));
  });
  afterAll(async () => {
    session.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it.each([
    'SELECT * FROM sales',
    'FROM sales',
    'WITH t AS (SELECT region FROM sales) SELECT * FROM t',
    'SELECT 1;',
    'SELECT 1 -- trailing comment',
  ])('accepts one SELECT: %s', async (sql) => {
    await expect(session.assertSingleSelect(sql)).resolves.toBeUndefined();
  });

  it.each([
    ['SELECT 1; SELECT 2', 'InvalidSql', /exactly one SELECT statement, not 2/],
    ["SELECT 1; COPY sales TO '/tmp/x.csv'", 'InvalidSql', /not 2 statements/],
    ['SET enable_external_access = true', 'InvalidSql', /not a SET statement/],
    ['INSTALL httpfs', 'InvalidSql', /not a LOAD statement/],
    ['CREATE TABLE t AS SELECT 1', 'InvalidSql', /not a CREATE statement/],
    ['EXPLAIN SELECT 1', 'InvalidSql', /not a EXPLAIN statement/],
    ['CALL pragma_version()', 'InvalidSql', /not a CALL statement/],
    ['SELEC 1', 'SqlError', /^Parser Error: syntax error/],
    ['SELECT nope FROM sales', 'SqlError', /^Binder Error/],
    ['SELECT * FROM missing', 'SqlError', /^Catalog Error/],
    ["SELECT * FROM read_csv('/etc/passwd')", 'SqlError', /^Permission Error/],
    ['', 'InvalidSql', /no statement/],
    ['-- only a comment', 'InvalidSql', /no statement/],
  ])('refuses %j: %s', async (sql, reason, message) => {
    await expect(session.assertSingleSelect(sql)).rejects.toMatchObject({ exitCode: 2, reason, message: expect.stringMatching(message) });
  });

  it('copies the SELECT to a file and counts the rows', async () => {
    const file = join(workDir, 'result.csv');
    const rows = await session.copyResult('SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region;', 'csv', file);
    expect(rows).toBe(2);
    expect(await readFile(file, 'utf8')).toBe('region,total\nnorth,17\nsouth,5\n');
  });

  it('fails a query that fails at run time as SqlError', async () => {
    await expect(session.copyResult("SELECT 'x'::INT", 'csv', join(workDir, 'bad.csv'))).rejects.toMatchObject({
      exitCode: 2,
      reason: 'SqlError',
      message: expect.stringMatching(/^Conversion Error/),
    });
  });

  it('blames a source that does not parse', async () => {
    await writeFile(join(workDir, 'bad.parquet'), 'not parquet');
    await expect(session.registerView('bad', 'parquet', join(workDir, 'bad.parquet'))).rejects.toMatchObject({
      exitCode: 2,
      reason: 'SourceInvalid',
    });
  });
});
