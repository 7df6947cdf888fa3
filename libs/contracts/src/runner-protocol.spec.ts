import {
  ERROR_MARKER,
  formatErrorLine,
  formatProgressLine,
  parseRunnerLine,
  PROGRESS_MARKER,
  type JobErrorReport,
} from './runner-protocol.js';
import type { JobProgress } from './job.schema.js';

describe('runner protocol markers', () => {
  it('are the documented prefixes, each with its separating space', () => {
    expect(PROGRESS_MARKER).toBe('::ferry:progress ');
    expect(ERROR_MARKER).toBe('::ferry:error ');
  });
});

describe('parseRunnerLine: progress', () => {
  it.each([
    { line: '::ferry:progress {"percent":40,"rows":12000,"message":"half way"}', progress: { percent: 40, rows: 12000, message: 'half way' } },
    { line: '::ferry:progress {"percent":0}', progress: { percent: 0 } },
    { line: '::ferry:progress {"percent":100}', progress: { percent: 100 } },
    { line: '::ferry:progress {"percent":33.3}', progress: { percent: 33.3 } },
    { line: '::ferry:progress {"rows":0}', progress: { rows: 0 } },
    { line: '::ferry:progress {"message":""}', progress: { message: '' } },
    { line: '::ferry:progress {}', progress: {} },
    { line: '::ferry:progress   {"percent":1}  ', progress: { percent: 1 } },
    { line: '::ferry:progress {"percent":1}\r', progress: { percent: 1 } },
    { line: `::ferry:progress {"message":"${'x'.repeat(1024)}"}`, progress: { message: 'x'.repeat(1024) } },
  ])('$line → progress', ({ line, progress }) => {
    expect(parseRunnerLine(line)).toEqual({ kind: 'progress', progress });
  });
});

describe('parseRunnerLine: error', () => {
  it.each([
    { line: '::ferry:error {"reason":"SourceRefused","message":"10.0.0.5 is private"}', error: { reason: 'SourceRefused', message: '10.0.0.5 is private' } },
    { line: '::ferry:error {"reason":"X","message":""}', error: { reason: 'X', message: '' } },
    { line: `::ferry:error {"reason":"A${'b'.repeat(63)}","message":"m"}`, error: { reason: `A${'b'.repeat(63)}`, message: 'm' } },
    { line: `::ferry:error {"reason":"Big","message":"${'m'.repeat(2048)}"}`, error: { reason: 'Big', message: 'm'.repeat(2048) } },
  ])('$line → error', ({ line, error }) => {
    expect(parseRunnerLine(line)).toEqual({ kind: 'error', error });
  });
});

describe('parseRunnerLine: everything else is a log line, unchanged', () => {
  it.each([
    // plain output
    ['', 'empty'],
    ['reading source a.csv', 'plain text'],
    ['{"percent":40}', 'JSON without a marker'],
    // the marker, but not at the start, or not exactly
    ['note: ::ferry:progress {"percent":40}', 'marker later in the line'],
    [' ::ferry:progress {"percent":40}', 'leading space'],
    ['[stdout] ::ferry:error {"reason":"X","message":"m"}', 'error marker later in the line'],
    ['::ferry:progress{"percent":40}', 'no space after the marker'],
    ['::ferry:progress', 'marker alone'],
    ['::ferry:progress ', 'marker and space alone'],
    ['::FERRY:PROGRESS {"percent":40}', 'upper case'],
    ['::ferry:result {"bytes":1}', 'unknown marker'],
    // malformed JSON
    ['::ferry:progress {percent:40}', 'unquoted key'],
    ['::ferry:progress {"percent":40', 'truncated'],
    ['::ferry:progress {"percent":40} trailing', 'text after the JSON'],
    ['::ferry:error not json', 'error marker, not JSON'],
    // JSON that is not an object
    ['::ferry:progress 40', 'a number'],
    ['::ferry:progress null', 'null'],
    ['::ferry:progress []', 'an array'],
    ['::ferry:progress "40%"', 'a string'],
    // invalid progress fields
    ['::ferry:progress {"percent":101}', 'percent above 100'],
    ['::ferry:progress {"percent":-1}', 'negative percent'],
    ['::ferry:progress {"percent":"40"}', 'percent as a string'],
    ['::ferry:progress {"percent":null}', 'percent null'],
    ['::ferry:progress {"rows":-1}', 'negative rows'],
    ['::ferry:progress {"rows":1.5}', 'fractional rows'],
    ['::ferry:progress {"message":42}', 'message not a string'],
    [`::ferry:progress {"message":"${'x'.repeat(1025)}"}`, 'message too long'],
    // extra properties
    ['::ferry:progress {"percent":40,"eta":12}', 'progress with an extra property'],
    ['::ferry:error {"reason":"SourceRefused","message":"m","code":2}', 'error with an extra property'],
    // invalid error fields
    ['::ferry:error {"reason":"sourceRefused","message":"m"}', 'reason not capitalised'],
    ['::ferry:error {"reason":"Source Refused","message":"m"}', 'reason with a space'],
    ['::ferry:error {"reason":"Source-Refused","message":"m"}', 'reason with a dash'],
    ['::ferry:error {"reason":"","message":"m"}', 'empty reason'],
    [`::ferry:error {"reason":"A${'b'.repeat(64)}","message":"m"}`, 'reason of 65 characters'],
    ['::ferry:error {"reason":"SourceRefused"}', 'no message'],
    ['::ferry:error {"message":"m"}', 'no reason'],
    [`::ferry:error {"reason":"Big","message":"${'m'.repeat(2049)}"}`, 'message too long'],
    // one marker with the other's payload
    ['::ferry:progress {"reason":"SourceRefused","message":"m"}', 'progress marker, error payload'],
    ['::ferry:error {"percent":40}', 'error marker, progress payload'],
  ])('%j (%s)', (line) => {
    expect(parseRunnerLine(line)).toEqual({ kind: 'log', line });
  });
});

describe('format*Line round-trips through parseRunnerLine', () => {
  it.each<JobProgress>([
    { percent: 40, rows: 12000, message: 'half way' },
    { percent: 0 },
    { percent: 100, message: 'done' },
    { rows: 5 },
    { message: 'quotes " and \\ and \n newline and ::ferry:error {}' },
    { message: 'ünïcödé ✓' },
    {},
  ])('progress %j', (progress) => {
    const line = formatProgressLine(progress);
    expect(line.startsWith(PROGRESS_MARKER)).toBe(true);
    expect(line).not.toContain('\n');
    expect(parseRunnerLine(line)).toEqual({ kind: 'progress', progress });
  });

  it.each<JobErrorReport>([
    { reason: 'SourceRefused', message: 'http://169.254.169.254/ is link-local' },
    { reason: 'SqlError', message: 'Parser Error: syntax error at or near "SELEC"' },
    { reason: 'X', message: '' },
    { reason: 'UploadFailed', message: 'line one\nline two' },
  ])('error %j', (error) => {
    const line = formatErrorLine(error);
    expect(line.startsWith(ERROR_MARKER)).toBe(true);
    expect(line).not.toContain('\n');
    expect(parseRunnerLine(line)).toEqual({ kind: 'error', error });
  });

  it('formats exactly the documented line', () => {
    expect(formatProgressLine({ percent: 40, rows: 12000, message: '…' })).toBe('::ferry:progress {"percent":40,"rows":12000,"message":"…"}');
    expect(formatErrorLine({ reason: 'SourceRefused', message: 'no' })).toBe('::ferry:error {"reason":"SourceRefused","message":"no"}');
  });
});
