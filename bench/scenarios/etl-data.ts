// The ETL scenario's input: the same generated orders as CSV and as Parquet, made once per size with
// DuckDB and cached under ~/.cache/ferry/bench-data/etl-v<version>-<rows>/ (FERRY_BENCH_DATA_DIR to move it).
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { cacheDir } from '../../scripts/lib/nats-server.ts';

export type EtlFormat = 'csv' | 'parquet';

export interface EtlDataset {
  readonly rows: number;
  /** The folder holding both files: the controller's FERRY_DATA_DIR in the scenario. */
  readonly dir: string;
  readonly files: Readonly<Record<EtlFormat, string>>;
  readonly bytes: Readonly<Record<EtlFormat, number>>;
}

/** Part of the cache folder's name: bump it when the generated rows change. */
const DATA_VERSION = 2;

/** 300 cities × 12 categories = 3,600 groups in the query's result. */
export const CITIES = 300;
const CATEGORIES = ['books', 'music', 'games', 'garden', 'toys', 'tools', 'food', 'drinks', 'sports', 'beauty', 'office', 'pets'];

/**
 * One row per order: order_id, city, category, amount (a price with two decimals, stored as a
 * double so pandas reads it as float64 from both formats), quantity 1–9, ordered_at in 2025.
 * Every value is a hash of the row number, so a given size always yields the same files.
 */
function ordersSelect(rows: number): string {
  const categories = `[${CATEGORIES.map((name) => `'${name}'`).join(', ')}]`;
  return `SELECT
    i AS order_id,
    'city_' || lpad((hash(i * 8 + 1) % ${CITIES})::VARCHAR, 3, '0') AS city,
    ${categories}[1 + (hash(i * 8 + 2) % ${CATEGORIES.length})::INTEGER] AS category,
    ((hash(i * 8 + 3) % 100000)::INTEGER / 100)::DOUBLE AS amount,
    (1 + hash(i * 8 + 4) % 9)::INTEGER AS quantity,
    TIMESTAMP '2025-01-01' + to_seconds((hash(i * 8 + 5) % 31536000)::BIGINT) AS ordered_at
  FROM range(${rows}) t(i)`;
}

export function datasetDir(rows: number): string {
  return join(process.env['FERRY_BENCH_DATA_DIR'] ?? join(cacheDir(), 'bench-data'), `etl-v${DATA_VERSION}-${rows}`);
}

/** The dataset of `rows` rows, generating it first if it is not cached (a `.ready` marker says it is whole). */
export async function ensureDataset(rows: number, log: (line: string) => void = (line) => void process.stderr.write(`${line}\n`)): Promise<EtlDataset> {
  const dir = datasetDir(rows);
  const files = { csv: join(dir, 'orders.csv'), parquet: join(dir, 'orders.parquet') };
  const ready = join(dir, '.ready');
  if (!existsSync(ready)) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const started = performance.now();
    log(`etl: generating ${rows.toLocaleString('en')} rows as CSV and Parquet in ${dir} (once per size)`);
    const instance = await DuckDBInstance.create(':memory:', { temp_directory: join(dir, 'spill') });
    const connection = await instance.connect();
    try {
      await connection.run(`CREATE TABLE orders AS ${ordersSelect(rows)}`);
      await connection.run(`COPY orders TO '${files.csv}.partial' (FORMAT csv, HEADER true)`);
      await connection.run(`COPY orders TO '${files.parquet}.partial' (FORMAT parquet)`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
    await rename(`${files.csv}.partial`, files.csv);
    await rename(`${files.parquet}.partial`, files.parquet);
    await rm(join(dir, 'spill'), { recursive: true, force: true });
    await writeFile(ready, `${new Date().toISOString()}\n`);
    log(`etl: generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const bytes = { csv: (await stat(files.csv)).size, parquet: (await stat(files.parquet)).size };
  return { rows, dir, files, bytes };
}
