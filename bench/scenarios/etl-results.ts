// The ETL scenario's result check: Ferry, pandas and polars must have computed the same group-by.
// Each writes CSV with the header city,category,orders,quantity,amount,avg_amount, ordered by
// (city, category). Counts and integer sums must match exactly; the float sums and means to a
// relative 1e-9 (engines add doubles in different orders).

export interface GroupRow {
  readonly key: string;
  readonly orders: number;
  readonly quantity: number;
  readonly amount: number;
  readonly avgAmount: number;
}

export const RESULT_COLUMNS = ['city', 'category', 'orders', 'quantity', 'amount', 'avg_amount'] as const;

/** Parses one engine's result; the cities and categories hold no commas or quotes, so a split is enough. */
export function parseGroupResult(csv: string, subject: string): GroupRow[] {
  const lines = csv.split(/\r?\n/).filter((line) => line !== '');
  const header = lines.shift();
  if (header !== RESULT_COLUMNS.join(',')) throw new Error(`etl: ${subject}'s result has the header ${JSON.stringify(header)}, not ${RESULT_COLUMNS.join(',')}`);
  return lines.map((line, index) => {
    const [city, category, orders, quantity, amount, avgAmount, ...extra] = line.split(',');
    const numbers = [orders, quantity, amount, avgAmount].map(Number);
    if (city === undefined || category === undefined || extra.length > 0 || numbers.some((value) => !Number.isFinite(value))) {
      throw new Error(`etl: ${subject}'s result line ${index + 2} is not a group row: ${JSON.stringify(line)}`);
    }
    const [ordersN = 0, quantityN = 0, amountN = 0, avgN = 0] = numbers;
    return { key: `${city}/${category}`, orders: ordersN, quantity: quantityN, amount: amountN, avgAmount: avgN };
  });
}

/** A short fingerprint of a result: groups, Σorders, Σquantity, Σamount (rounded to cents). */
export function checksum(rows: readonly GroupRow[]): string {
  const sum = (pick: (row: GroupRow) => number): number => rows.reduce((total, row) => total + pick(row), 0);
  return `${rows.length} groups, Σorders ${sum((row) => row.orders)}, Σquantity ${sum((row) => row.quantity)}, Σamount ${sum((row) => row.amount).toFixed(2)}`;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Throws, naming the first difference, unless every result equals the reference (the first one)
 * row by row, and the counts add up to the input's rows (so no engine skipped part of the file).
 */
export function assertResultsAgree(results: ReadonlyMap<string, readonly GroupRow[]>, inputRows: number, what: string): string {
  const entries = [...results];
  const [reference, ...others] = entries;
  if (reference === undefined) throw new Error(`etl: no results to compare for ${what}`);
  const [referenceName, referenceRows] = reference;
  for (const [name, rows] of entries) {
    const counted = rows.reduce((total, row) => total + row.orders, 0);
    if (counted !== inputRows) throw new Error(`etl ${what}: ${name}'s groups count ${counted} orders, the input has ${inputRows}`);
  }
  for (const [name, rows] of others) {
    if (rows.length !== referenceRows.length) {
      throw new Error(`etl ${what}: ${name} has ${rows.length} groups, ${referenceName} ${referenceRows.length}`);
    }
    rows.forEach((row, index) => {
      const expected = referenceRows[index];
      const same =
        expected !== undefined &&
        row.key === expected.key &&
        row.orders === expected.orders &&
        row.quantity === expected.quantity &&
        close(row.amount, expected.amount) &&
        close(row.avgAmount, expected.avgAmount);
      if (!same) throw new Error(`etl ${what}: ${name} differs from ${referenceName} at group ${index + 1}: ${JSON.stringify(row)} vs ${JSON.stringify(expected)}`);
    });
  }
  return checksum(referenceRows);
}
