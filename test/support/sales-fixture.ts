import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface Sale {
  readonly region: string;
  readonly product: string;
  readonly amount: number;
}

export interface RegionTotal {
  readonly region: string;
  readonly orders: number;
  readonly total: number;
}

const REGIONS = ['east', 'north', 'south', 'west'];
const PRODUCTS = ['apples', 'pears', 'plums'];

/** Deterministic rows (a small LCG), so a failure reproduces. */
export function generateSales(count: number): Sale[] {
  let state = 42;
  const next = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return Math.floor(state / 65_536); // the low bits of this LCG cycle too fast
  };
  return Array.from({ length: count }, () => ({
    region: REGIONS[next() % REGIONS.length] ?? 'east',
    product: PRODUCTS[next() % PRODUCTS.length] ?? 'apples',
    amount: next() % 1000,
  }));
}

/** The test's own answer to SALES_BY_REGION_SQL, computed without DuckDB. */
export function totalsByRegion(sales: readonly Sale[]): RegionTotal[] {
  const totals = new Map<string, RegionTotal>();
  for (const sale of sales) {
    const current = totals.get(sale.region) ?? { region: sale.region, orders: 0, total: 0 };
    totals.set(sale.region, { region: sale.region, orders: current.orders + 1, total: current.total + sale.amount });
  }
  return [...totals.values()].sort((a, b) => a.region.localeCompare(b.region));
}

export const SALES_BY_REGION_SQL = `
  SELECT region, count(*)::INTEGER AS orders, sum(amount)::INTEGER AS total -- one line per region
  FROM sales
  GROUP BY region
  ORDER BY region;`;

export function toCsv(sales: readonly Sale[]): string {
  return `region,product,amount\n${sales.map((sale) => `${sale.region},${sale.product},${sale.amount}`).join('\n')}\n`;
}

export function toNdjson(sales: readonly Sale[]): string {
  return sales.map((sale) => JSON.stringify(sale)).join('\n') + '\n';
}

/** Parquet bytes written by DuckDB from the CSV, in `dir`. */
export async function toParquet(sales: readonly Sale[], dir: string): Promise<Buffer> {
  const csv = join(dir, 'sales-fixture.csv');
  const parquet = join(dir, 'sales-fixture.parquet');
  await writeFile(csv, toCsv(sales));
  await withDuckDb((connection) => connection.run(`COPY (SELECT * FROM read_csv('${csv}', header = true)) TO '${parquet}' (FORMAT parquet)`));
  return readFile(parquet);
}

/** Rows of a Parquet file, read back with DuckDB. */
export async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  return withDuckDb(async (connection) => (await connection.run(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS());
}

type Connection = Awaited<ReturnType<DuckDBInstance['connect']>>;

async function withDuckDb<T>(body: (connection: Connection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return await body(connection);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
