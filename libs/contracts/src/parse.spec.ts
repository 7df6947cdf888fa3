import { ErrorCode, FerryError } from './errors.js';
import { createQueuedJob, summarize } from './job.factory.js';
import type { Job } from './job.schema.js';
import { decodeWith, parseIdempotencyRecord, parseJob, parseJobEvent, parseLogEntry } from './parse.js';

function job(): Job {
  return createQueuedJob({
    id: '01arz3ndektsv4rrffq69g5fav',
    tenant: 'acme',
    pipeline: 'sleep',
    params: { seconds: 5, nested: { list: [1, 'two'] } },
    labels: { team: 'data', 'app.kubernetes.io/name': 'ferry' },
    maxAttempts: 3,
    timeoutSeconds: 60,
    startDeadlineSeconds: 30,
    now: new Date('2030-01-01T00:00:00.000Z'),
  });
}

function thrownBy(run: () => unknown): FerryError {
  try {
    run();
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected a FerryError, nothing was thrown');
}

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('parseJob', () => {
  it('accepts a job built by createQueuedJob and returns it as is', () => {
    const value = job();
    expect(parseJob(value)).toBe(value);
  });

  it('accepts a job with progress, result and executor filled in', () => {
    const value: Job = {
      ...job(),
      state: 'succeeded',
      attempt: 1,
      progress: { percent: 100, rows: 10, message: 'done' },
      result: { contentType: 'text/csv', bytes: 12, rows: 10, sha256: 'a'.repeat(64) },
      executor: { kind: 'kubernetes', name: 'ferry-job-1', namespace: 'ferry' },
    };
    expect(parseJob(value)).toEqual(value);
  });

  it.each(['id', 'state', 'attempt', 'labels', 'createdAt', 'executor'] as const)('rejects a job without %s', (field) => {
    const value: Record<string, unknown> = { ...job() };
    delete value[field];
    const error = thrownBy(() => parseJob(value));
    expect(error.code).toBe(ErrorCode.MalformedMessage);
    expect(error.message).toContain('malformed job record');
    expect(error.message).toContain(field);
  });

  it.each<[string, Partial<Record<keyof Job, unknown>>]>([
    ['an unknown state', { state: 'done' }],
    ['an uppercase state', { state: 'QUEUED' }],
    ['a negative attempt', { attempt: -1 }],
    ['a fractional attempt', { attempt: 1.5 }],
    ['maxAttempts 0', { maxAttempts: 0 }],
    ['a non-string label', { labels: { team: 1 } }],
    ['a string timeout', { timeoutSeconds: '60' }],
    ['a bad result digest', { result: { contentType: 'text/csv', bytes: 1, sha256: 'xyz' } }],
    ['an unknown executor kind', { executor: { kind: 'docker', name: 'x' } }],
    ['progress over 100', { progress: { percent: 101 } }],
  ])('rejects %s', (_name, overrides) => {
    const error = thrownBy(() => parseJob({ ...job(), ...overrides }));
    expect(error.code).toBe(ErrorCode.MalformedMessage);
    expect(error.message).toMatch(/^malformed job record: \//);
  });

  it('rejects an extra property', () => {
    const error = thrownBy(() => parseJob({ ...job(), owner: 'someone' }));
    expect(error.code).toBe(ErrorCode.MalformedMessage);
    expect(error.message).toBe('malformed job record: / must NOT have additional properties: "owner"');
  });

  it.each([null, 'job', 42, []])('rejects %j', (value) => {
    expect(thrownBy(() => parseJob(value)).code).toBe(ErrorCode.MalformedMessage);
  });
});

describe('other parsers', () => {
  it('parseJobEvent accepts an event around a job summary (no params) and rejects an unknown type', () => {
    const event = { type: 'state', job: summarize(job()), at: '2030-01-01T00:00:00.000Z' };
    expect(parseJobEvent(event)).toEqual(event);
    expect(thrownBy(() => parseJobEvent({ ...event, type: 'log' })).message).toContain('malformed job event');
    expect(thrownBy(() => parseJobEvent({ ...event, job: { ...summarize(job()), state: 'nope' } })).message).toContain('/job/state');
    // An event of an older release, with the whole job, still parses.
    expect(parseJobEvent({ ...event, job: job() })).toEqual({ ...event, job: job() });
  });

  it('parseLogEntry checks the stream', () => {
    const entry = { line: 'hello', stream: 'stdout', attempt: 1, at: '2030-01-01T00:00:00.000Z' };
    expect(parseLogEntry(entry)).toEqual(entry);
    expect(thrownBy(() => parseLogEntry({ ...entry, stream: 'stdin' })).message).toContain('malformed log entry: /stream');
  });

  it('parseIdempotencyRecord checks the digest', () => {
    const record = { jobId: '01arz3ndektsv4rrffq69g5fav', bodySha256: '0'.repeat(64), createdAt: '2030-01-01T00:00:00.000Z' };
    expect(parseIdempotencyRecord(record)).toEqual(record);
    expect(thrownBy(() => parseIdempotencyRecord({ ...record, bodySha256: 'A'.repeat(64) })).code).toBe(ErrorCode.MalformedMessage);
  });
});

describe('decodeWith', () => {
  it('decodes JSON bytes and parses them', () => {
    expect(decodeWith(parseJob, encode(job()), 'job record')).toEqual(job());
  });

  it.each([
    ['empty bytes', new Uint8Array()],
    ['text', new TextEncoder().encode('not json')],
    ['truncated JSON', new TextEncoder().encode('{"id":')],
    ['invalid UTF-8 bytes', new Uint8Array([0xff, 0xfe, 0x00])],
  ])('rejects %s as malformed_message', (_name, bytes) => {
    const error = thrownBy(() => decodeWith(parseJob, bytes, 'job record'));
    expect(error.code).toBe(ErrorCode.MalformedMessage);
    expect(error.message).toBe('malformed job record: not JSON');
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects JSON of the wrong shape through the parser', () => {
    const error = thrownBy(() => decodeWith(parseJob, encode({ id: 'x' }), 'job record'));
    expect(error.code).toBe(ErrorCode.MalformedMessage);
    expect(error.message).toMatch(/^malformed job record: \/ must have required property/);
  });
});
