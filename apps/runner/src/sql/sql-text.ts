import type { DataFormat } from '../result/data-format.js';

/** SQL text the runner writes itself. Every name and path goes through these quoters. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The statements that lock DuckDB down, in the one order that works: `allowed_directories` can only
 * be changed while external access is still on, and `lock_configuration` must come last, after which
 * no `SET`/`RESET` (these three included) is accepted.
 */
export function lockdownStatements(allowedDirectory: string): readonly string[] {
  return [
    `SET allowed_directories = [${quoteLiteral(allowedDirectory)}]`,
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
}

/** The table function that reads a source file of `format`. */
export function readerFor(format: DataFormat, path: string): string {
  const file = quoteLiteral(path);
  switch (format) {
    case 'csv':
      return `read_csv(${file}, header = true)`;
    case 'parquet':
      return `read_parquet(${file})`;
    case 'json':
      // An array of objects, or whatever else DuckDB recognises as JSON documents.
      return `read_json(${file}, format = 'auto')`;
    case 'ndjson':
      return `read_json(${file}, format = 'newline_delimited')`;
  }
}

export function createViewStatement(name: string, format: DataFormat, path: string): string {
  return `CREATE VIEW ${quoteIdentifier(name)} AS SELECT * FROM ${readerFor(format, path)}`;
}

const COPY_OPTIONS: Readonly<Record<DataFormat, string>> = {
  csv: 'FORMAT csv, HEADER true',
  parquet: 'FORMAT parquet',
  json: 'FORMAT json, ARRAY true',
  ndjson: 'FORMAT json',
};

/**
 * Wraps the user's SELECT (already checked to be exactly one) in a COPY to `path`. The newlines
 * around it end a trailing `--` comment; trailing semicolons, valid after a lone statement, are dropped.
 */
export function copyStatement(select: string, format: DataFormat, path: string): string {
  return `COPY (\n${withoutTrailingSemicolons(select)}\n) TO ${quoteLiteral(path)} (${COPY_OPTIONS[format]})`;
}

export function withoutTrailingSemicolons(sql: string): string {
  return sql.replace(/[\s;]+$/, '');
}
