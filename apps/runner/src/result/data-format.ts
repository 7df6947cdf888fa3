/** The formats a source may have and a result may take (docs/architecture.md §3). */
export const DATA_FORMATS = ['csv', 'parquet', 'json', 'ndjson'] as const;
export type DataFormat = (typeof DATA_FORMATS)[number];

export function isDataFormat(value: unknown): value is DataFormat {
  return typeof value === 'string' && (DATA_FORMATS as readonly string[]).includes(value);
}

/** The result's `Content-Type`, as the gateway stores and serves it. */
export const CONTENT_TYPES: Readonly<Record<DataFormat, string>> = {
  csv: 'text/csv',
  parquet: 'application/vnd.apache.parquet',
  json: 'application/json',
  ndjson: 'application/x-ndjson',
};

export const FILE_EXTENSIONS: Readonly<Record<DataFormat, string>> = {
  csv: 'csv',
  parquet: 'parquet',
  json: 'json',
  ndjson: 'ndjson',
};
