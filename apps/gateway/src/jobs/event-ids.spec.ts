import { EventIds } from './event-ids.js';

const SECRET = 'a-result-secret-of-enough-length-0123456789';
const JOB = '01jq0000000000000000000001';

describe('EventIds', () => {
  it('reads back on the same job, on any replica with the same secret', () => {
    const id = new EventIds(SECRET).encode('acme', JOB, 4_711);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new EventIds(SECRET).decode('acme', JOB, id)).toBe(4_711);
  });

  it('shows nothing of the sequence: neighbours look unrelated, and no id reads back on another job, tenant or secret', () => {
    const ids = new EventIds(SECRET);
    const [a, b] = [ids.encode('acme', JOB, 1_000), ids.encode('acme', JOB, 1_001)];
    const shared = [...(a ?? '')].filter((char, index) => char === b[index]).length;
    expect(shared).toBeLessThan(8);
    expect(ids.decode('globex', JOB, a)).toBeUndefined();
    expect(ids.decode('acme', '01jq0000000000000000000002', a)).toBeUndefined();
    expect(new EventIds('another-secret-of-enough-length-0123456789').decode('acme', JOB, a)).toBeUndefined();
  });

  it('treats a malformed or old numeric id as none, and 0 as the start of the stream', () => {
    const ids = new EventIds(SECRET);
    for (const id of [undefined, '', '42', 'x'.repeat(22), '!'.repeat(22)]) expect(ids.decode('acme', JOB, id)).toBeUndefined();
    expect(ids.decode('acme', JOB, '0')).toBe(0);
  });
});
