import { RunnerFailure } from '../runner.failure.js';
import { parseFailParams, parseSleepParams, parseSqlParams } from './params.parser.js';

function messageOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof RunnerFailure && error.exitCode === 2 && error.reason === 'InvalidParams') return error.message;
    throw error;
  }
  throw new Error('expected an InvalidParams failure');
}

describe('parseSleepParams', () => {
  it('reads seconds and progressEvery', () => {
    expect(parseSleepParams({ seconds: 1.5, progressEvery: 0.5 })).toEqual({ seconds: 1.5, progressEvery: 0.5 });
    expect(parseSleepParams({ seconds: 0 })).toEqual({ seconds: 0, progressEvery: undefined });
  });

  it.each([{}, { seconds: -1 }, { seconds: 86_401 }, { seconds: '5' }, { seconds: 1, progressEvery: 0 }, { seconds: 1, extra: true }])(
    'refuses %j',
    (params) => {
      expect(messageOf(() => parseSleepParams(params))).toMatch(/^invalid params: /);
    },
  );
});

describe('parseFailParams', () => {
  it('reads exitCode and afterSeconds', () => {
    expect(parseFailParams({ exitCode: 75, afterSeconds: 2 })).toEqual({ exitCode: 75, afterSeconds: 2 });
    expect(parseFailParams({ exitCode: 1 })).toEqual({ exitCode: 1, afterSeconds: 0 });
  });

  it.each([{}, { exitCode: 0 }, { exitCode: 256 }, { exitCode: 2.5 }, { exitCode: 2, afterSeconds: -1 }])('refuses %j', (params) => {
    expect(messageOf(() => parseFailParams(params))).toMatch(/^invalid params: /);
  });
});

describe('parseSqlParams', () => {
  const sources = { sales: { url: 'https://example.com/sales.csv', format: 'csv' } };

  it('reads sources in order, the sql and the output format (csv by default)', () => {
    const params = parseSqlParams({ sources: { ...sources, regions: { url: 'file:///data/r.parquet', format: 'parquet' } }, sql: 'SELECT 1' });
    expect(params.sources.map(({ name, url, format }) => [name, url.href, format])).toEqual([
      ['sales', 'https://example.com/sales.csv', 'csv'],
      ['regions', 'file:///data/r.parquet', 'parquet'],
    ]);
    expect(params.sql).toBe('SELECT 1');
    expect(params.outputFormat).toBe('csv');
    expect(parseSqlParams({ sources, sql: 'SELECT 1', output: { format: 'ndjson' } }).outputFormat).toBe('ndjson');
  });

  it.each([
    [{ sql: 'SELECT 1' }, /sources/],
    [{ sources: {}, sql: 'SELECT 1' }, /1 to 32 views/],
    [{ sources, sql: '  ' }, /sql must be/],
    [{ sources, sql: 1 }, /sql must be/],
    [{ sources: { 'bad name': sources.sales }, sql: 'SELECT 1' }, /not a view name/],
    [{ sources: { '1st': sources.sales }, sql: 'SELECT 1' }, /not a view name/],
    [{ sources: { 'x"; DROP': sources.sales }, sql: 'SELECT 1' }, /not a view name/],
    [{ sources: { s: { url: 'ftp://example.com/x', format: 'csv' } }, sql: 'SELECT 1' }, /http\(s\) or file URL/],
    [{ sources: { s: { url: 'not a url', format: 'csv' } }, sql: 'SELECT 1' }, /http\(s\) or file URL/],
    [{ sources: { s: { url: 'https://example.com/x', format: 'xlsx' } }, sql: 'SELECT 1' }, /format must be/],
    [{ sources: { s: { url: 'https://example.com/x', format: 'csv', auth: 'x' } }, sql: 'SELECT 1' }, /unknown property "auth"/],
    [{ sources, sql: 'SELECT 1', output: { format: 'xml' } }, /output.format/],
    [{ sources, sql: 'SELECT 1', limit: 5 }, /unknown property "limit"/],
  ])('refuses %j', (params, message) => {
    expect(messageOf(() => parseSqlParams(params))).toMatch(message);
  });
});
