import { LogCursor, lineTime, parseTimestampedLine } from './log-cursor.js';

describe('parseTimestampedLine', () => {
  it.each([
    ['2030-01-01T00:00:01.123456789Z hello world', 1_123_456_789n, 'hello world'],
    // RFC3339Nano drops trailing zeros: .5 is half a second, not five nanoseconds.
    ['2030-01-01T00:00:01.5Z x', 1_500_000_000n, 'x'],
    ['2030-01-01T00:00:01Z  two spaces', 1_000_000_000n, ' two spaces'],
    ['2030-01-01T01:00:01+01:00 offset', 1_000_000_000n, 'offset'],
    ['2030-01-01T00:00:01Z ', 1_000_000_000n, ''],
    ['2030-01-01T00:00:01Z', 1_000_000_000n, ''],
  ])('%j', (raw, offset, text) => {
    const base = BigInt(Date.parse('2030-01-01T00:00:00Z')) * 1_000_000n;
    expect(parseTimestampedLine(raw)).toEqual({ nanos: base + offset, text });
  });

  it('keeps a line without a timestamp whole', () => {
    expect(parseTimestampedLine('no stamp here')).toEqual({ nanos: undefined, text: 'no stamp here' });
    expect(parseTimestampedLine('2030-13-45T99:00:00Z bad date')).toEqual({ nanos: undefined, text: '2030-13-45T99:00:00Z bad date' });
  });

  it('gives the time to the millisecond', () => {
    expect(lineTime(parseTimestampedLine('2030-01-01T00:00:01.123456789Z x'))).toBe('2030-01-01T00:00:01.123Z');
    expect(lineTime(parseTimestampedLine('x'))).toBeUndefined();
  });
});

/** Feeds one connection's lines through the cursor; returns the texts it delivers. */
function read(cursor: LogCursor, lines: string[]): string[] {
  cursor.reconnect();
  const delivered: string[] = [];
  for (const raw of lines) {
    const line = parseTimestampedLine(raw);
    if (!cursor.isNew(line)) continue;
    delivered.push(line.text);
    cursor.advance(line);
  }
  return delivered;
}

describe('LogCursor', () => {
  it('reads from the start first, then resumes at the whole second of the last line', () => {
    const cursor = new LogCursor();
    expect(cursor.sinceTime).toBeUndefined();
    expect(read(cursor, ['2030-01-01T00:00:01.1Z a', '2030-01-01T00:00:07.25Z b'])).toEqual(['a', 'b']);
    expect(cursor.sinceTime).toBe('2030-01-01T00:00:07Z');
    expect(cursor.delivered).toBe(2);
  });

  it('skips the replayed second, counting lines that share the last timestamp', () => {
    const cursor = new LogCursor();
    read(cursor, ['2030-01-01T00:00:07.1Z a', '2030-01-01T00:00:07.2Z b', '2030-01-01T00:00:07.2Z c']);
    // The server replays all of second 7; one more line stamped 7.2 was written after the break.
    expect(read(cursor, ['2030-01-01T00:00:07.1Z a', '2030-01-01T00:00:07.2Z b', '2030-01-01T00:00:07.2Z c', '2030-01-01T00:00:07.2Z d', '2030-01-01T00:00:08Z e'])).toEqual(['d', 'e']);
    expect(cursor.delivered).toBe(5);
  });

  it('compares only the replayed prefix: after the first new line, a stamp stepping back is still delivered', () => {
    const cursor = new LogCursor();
    read(cursor, ['2030-01-01T00:00:05.5Z a']);
    expect(read(cursor, ['2030-01-01T00:00:05.5Z a', '2030-01-01T00:00:06Z b', '2030-01-01T00:00:05.9Z c'])).toEqual(['b', 'c']);
    // The newest stamp stays the resume point.
    expect(cursor.sinceTime).toBe('2030-01-01T00:00:06Z');
  });

  it('reads a line again when it was not advanced past (the sink refused it)', () => {
    const cursor = new LogCursor();
    cursor.reconnect();
    const first = parseTimestampedLine('2030-01-01T00:00:01Z a');
    expect(cursor.isNew(first)).toBe(true);
    // No advance: the next connection offers it again and it is new again.
    expect(read(cursor, ['2030-01-01T00:00:01Z a', '2030-01-01T00:00:02Z b'])).toEqual(['a', 'b']);
  });

  it('delivers lines without timestamps, counting them', () => {
    const cursor = new LogCursor();
    expect(read(cursor, ['plain', '2030-01-01T00:00:01Z a'])).toEqual(['plain', 'a']);
    expect(cursor.delivered).toBe(2);
  });
});
