import { formatExitRecord, parseExitRecord } from './exit-record.js';

describe('exit records', () => {
  const record = { attempt: 2, exitCode: 2, finishedAt: '2030-01-01T00:00:05.000Z', error: { reason: 'SourceRefused', message: 'refused' } };

  it('read back what the runner wrote', () => {
    expect(parseExitRecord(formatExitRecord(record), 2)).toEqual(record);
    const { error: _error, ...success } = { ...record, exitCode: 0 };
    expect(parseExitRecord(formatExitRecord(success), 2)).toEqual(success);
  });

  it.each([
    ['another attempt’s record', formatExitRecord(record), 3],
    ['a torn write', formatExitRecord(record).slice(0, 20), 2],
    ['an unknown field', JSON.stringify({ ...record, signal: 'SIGKILL' }), 2],
    ['an exit code out of range', JSON.stringify({ ...record, exitCode: 300 }), 2],
    ['a time that is not one', JSON.stringify({ ...record, finishedAt: 'soon' }), 2],
    ['a malformed reason', JSON.stringify({ ...record, error: { reason: 'not a reason', message: 'x' } }), 2],
  ])('are nothing when they are %s', (_what, text, attempt) => {
    expect(parseExitRecord(text, attempt)).toBeUndefined();
  });
});
