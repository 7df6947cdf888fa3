import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at the top level', () => {
    expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
  });

  it('gives the same text whatever the key order, at every depth', () => {
    const one = { pipeline: 'sql', params: { sql: 'SELECT 1', sources: { b: { url: 'u', format: 'csv' }, a: { format: 'json', url: 'v' } } }, labels: { z: '1', y: '2' } };
    const two = { labels: { y: '2', z: '1' }, params: { sources: { a: { url: 'v', format: 'json' }, b: { format: 'csv', url: 'u' } }, sql: 'SELECT 1' }, pipeline: 'sql' };
    expect(canonicalJson(one)).toBe(canonicalJson(two));
    expect(canonicalJson(one)).toBe(
      '{"labels":{"y":"2","z":"1"},"params":{"sources":{"a":{"format":"json","url":"v"},"b":{"format":"csv","url":"u"}},"sql":"SELECT 1"},"pipeline":"sql"}',
    );
  });

  it('sorts keys of objects inside arrays', () => {
    expect(canonicalJson([{ b: 1, a: 2 }, [{ d: 1, c: 2 }]])).toBe('[{"a":2,"b":1},[{"c":2,"d":1}]]');
  });

  it('keeps array order', () => {
    expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
  });

  it('drops undefined properties at every depth', () => {
    expect(canonicalJson({ a: undefined, b: 1, c: { d: undefined, e: null } })).toBe('{"b":1,"c":{"e":null}}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('writes undefined array items as null, as JSON.stringify does', () => {
    expect(canonicalJson([1, undefined, 2])).toBe(JSON.stringify([1, undefined, 2]));
  });

  it('sorts keys by UTF-16 code units', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, '10': 4, '9': 5, é: 6 })).toBe('{"10":4,"9":5,"B":2,"a":3,"b":1,"é":6}');
  });

  it.each<unknown>([
    'plain',
    'quote " and backslash \\',
    'line\nbreak\ttab',
    '\u0001 control',
    'é ünïcödé 😀',
    '\u2028',
    0,
    -0,
    1,
    -1.5,
    1e21,
    1e-7,
    0.1 + 0.2,
    Number.MAX_SAFE_INTEGER,
    NaN,
    Infinity,
    true,
    false,
    null,
  ])('serialises %j as JSON.stringify does', (value) => {
    expect(canonicalJson(value)).toBe(JSON.stringify(value));
  });

  it('escapes keys as JSON.stringify does', () => {
    expect(canonicalJson({ 'a"b': 1, 'new\nline': 2 })).toBe('{"a\\"b":1,"new\\nline":2}');
  });

  it('writes empty containers', () => {
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
  });

  it('is parseable back to an equal value', () => {
    const value = { z: [1, { y: 'x', a: null }], a: { c: true, b: 'é' } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});
