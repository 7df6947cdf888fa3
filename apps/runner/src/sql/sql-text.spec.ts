import { copyStatement, createViewStatement, lockdownStatements, quoteIdentifier, quoteLiteral, withoutTrailingSemicolons } from './sql-text.js';

describe('sql text', () => {
  it('quotes identifiers and literals by doubling the quote', () => {
    expect(quoteIdentifier('sales')).toBe('"sales"');
    expect(quoteIdentifier('a"b')).toBe('"a""b"');
    expect(quoteLiteral("/tmp/it's")).toBe("'/tmp/it''s'");
  });

  it('locks down in the order DuckDB accepts', () => {
    expect(lockdownStatements('/tmp/ferry-sql-x')).toEqual([
      "SET allowed_directories = ['/tmp/ferry-sql-x']",
      'SET enable_external_access = false',
      'SET lock_configuration = true',
    ]);
  });

  it.each([
    ['csv', "CREATE VIEW \"v\" AS SELECT * FROM read_csv('/t/v.csv', header = true)"],
    ['parquet', "CREATE VIEW \"v\" AS SELECT * FROM read_parquet('/t/v.csv')"],
    ['json', "CREATE VIEW \"v\" AS SELECT * FROM read_json('/t/v.csv', format = 'auto')"],
    ['ndjson', "CREATE VIEW \"v\" AS SELECT * FROM read_json('/t/v.csv', format = 'newline_delimited')"],
  ] as const)('registers a %s source as a view', (format, statement) => {
    expect(createViewStatement('v', format, '/t/v.csv')).toBe(statement);
  });

  it.each([
    ['csv', '(FORMAT csv, HEADER true)'],
    ['parquet', '(FORMAT parquet)'],
    ['json', '(FORMAT json, ARRAY true)'],
    ['ndjson', '(FORMAT json)'],
  ] as const)('copies a %s result with %s', (format, options) => {
    expect(copyStatement('SELECT 1 -- done', format, '/t/result')).toBe(`COPY (\nSELECT 1 -- done\n) TO '/t/result' ${options}`);
  });

  it('drops trailing semicolons and whitespace only', () => {
    expect(withoutTrailingSemicolons('SELECT ";" AS x;  ;\n')).toBe('SELECT ";" AS x');
    expect(withoutTrailingSemicolons("SELECT ';'")).toBe("SELECT ';'");
  });
});
