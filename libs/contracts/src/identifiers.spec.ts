import { decodeTime } from 'ulid';
import { isJobId, isTenantName, JOB_ID_PATTERN, jobKey, newJobId, parseJobKey } from './identifiers.js';

// The id factory is monotonic and shared by the module: each test uses times later than any before it.
const FUTURE = Date.UTC(2040, 0, 1);

describe('newJobId', () => {
  it('is 26 lowercase Crockford characters matching JOB_ID_PATTERN', () => {
    for (let i = 0; i < 50; i++) {
      const id = newJobId();
      expect(id).toHaveLength(26);
      expect(id).toBe(id.toLowerCase());
      expect(id).toMatch(/^[0-9a-z]{26}$/);
      expect(id).toMatch(JOB_ID_PATTERN);
      expect(isJobId(id)).toBe(true);
    }
  });

  it('encodes the time it is given', () => {
    const id = newJobId(FUTURE);
    expect(decodeTime(id.toUpperCase())).toBe(FUTURE);
  });

  it('sorts ids made with increasing times in that order', () => {
    const times = [FUTURE + 1_000, FUTURE + 1_001, FUTURE + 60_000, FUTURE + 86_400_000, FUTURE + 365 * 86_400_000];
    const ids = times.map((time) => newJobId(time));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map((id) => decodeTime(id.toUpperCase()))).toEqual(times);
  });

  it('makes strictly increasing ids within the same millisecond', () => {
    const now = FUTURE + 2 * 365 * 86_400_000;
    const ids = Array.from({ length: 100 }, () => newJobId(now));
    for (let i = 1; i < ids.length; i++) expect((ids[i] ?? '') > (ids[i - 1] ?? '')).toBe(true);
    expect(new Set(ids).size).toBe(100);
    expect(new Set(ids.map((id) => id.slice(0, 10))).size).toBe(1);
  });
});

describe('newJobId randomness (a pooled buffer of crypto bytes, refilled every 256 ids)', () => {
  it('gives distinct random parts, every character of the alphabet in every position', () => {
    const start = FUTURE + 3 * 365 * 86_400_000;
    const randomParts = Array.from({ length: 3_000 }, (_, index) => newJobId(start + index).slice(10));
    expect(new Set(randomParts).size).toBe(randomParts.length);
    for (let position = 0; position < 16; position += 1) {
      const seen = new Set(randomParts.map((part) => part[position]));
      expect(seen.size, `position ${position}`).toBe(32);
    }
  });
});

describe('isJobId', () => {
  it.each([
    ['01arz3ndektsv4rrffq69g5fav', true],
    ['00000000000000000000000000', true],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAV', false],
    ['01arz3ndektsv4rrffq69g5fa', false],
    ['01arz3ndektsv4rrffq69g5favx', false],
    ['01arz3ndektsv4rrffq69g5fai', false],
    ['01arz3ndektsv4rrffq69g5fal', false],
    ['01arz3ndektsv4rrffq69g5fao', false],
    ['01arz3ndektsv4rrffq69g5fau', false],
    ['01arz3ndektsv4rrffq69g5fa-', false],
    ['', false],
  ])('%s → %s', (value, valid) => {
    expect(isJobId(value)).toBe(valid);
  });
});

describe('isTenantName', () => {
  it.each(['acme', 'a', '0', 'a-b', 'a--b', 'team-42', '42', 'a'.repeat(40), `a${'-'.repeat(38)}b`])('accepts %s', (name) => {
    expect(isTenantName(name)).toBe(true);
  });

  it.each(['', '-a', 'a-', '-', 'A', 'Acme', 'a_b', 'a.b', 'a b', 'a/b', 'é', 'a'.repeat(41), ' acme', 'acme\n'])('rejects %j', (name) => {
    expect(isTenantName(name)).toBe(false);
  });
});

describe('jobKey / parseJobKey', () => {
  const id = '01arz3ndektsv4rrffq69g5fav';

  it('writes <tenant>.<id>', () => {
    expect(jobKey('acme', id)).toBe(`acme.${id}`);
  });

  it.each(['acme', 'a', 'a-b', 'a'.repeat(40)])('round-trips tenant %s', (tenant) => {
    expect(parseJobKey(jobKey(tenant, id))).toEqual({ tenant, jobId: id });
  });

  it('round-trips a fresh id', () => {
    const fresh = newJobId();
    expect(parseJobKey(jobKey('acme', fresh))).toEqual({ tenant: 'acme', jobId: fresh });
  });

  it.each([
    ['empty', ''],
    ['no dot', `acme${id}`],
    ['tenant only', 'acme'],
    ['tenant and dot', 'acme.'],
    ['id only', `.${id}`],
    ['extra segment', `acme.${id}.x`],
    ['trailing dot', `acme.${id}.`],
    ['bad tenant', `Acme.${id}`],
    ['tenant with underscore', `a_b.${id}`],
    ['uppercase id', `acme.${id.toUpperCase()}`],
    ['short id', `acme.${id.slice(1)}`],
    ['id with excluded letter', `acme.${id.slice(0, 25)}u`],
    ['reversed', `${id}.acme`],
  ])('rejects %s', (_name, key) => {
    expect(parseJobKey(key)).toBeUndefined();
  });
});
