import { reservedKeyPaths } from './reserved-keys.guard.js';

describe('reservedKeyPaths', () => {
  it.each<[string, unknown, string[]]>([
    ['an ordinary submission', { pipeline: 'sql', params: { sources: { a: { url: 'https://x' } } }, labels: { team: 'data' } }, []],
    ['a label named constructor', { labels: { constructor: 'c', team: 'x' } }, ['labels.constructor']],
    ['method names at any depth', { params: { a: { toString: 1, b: [{ valueOf: 2 }] } } }, ['params.a.b.0.valueOf', 'params.a.toString']],
    ['prototype and hasOwnProperty', { params: { prototype: {}, hasOwnProperty: true } }, ['params.hasOwnProperty', 'params.prototype']],
    ['a top-level constructor', { pipeline: 'x', constructor: 1 }, ['constructor']],
    ['names that only look alike', { params: { Constructor: 1, toStrings: 2, __proto: 3, proto: 4 } }, []],
    ['array indexes are not keys', { params: { list: ['constructor', 'toString'] } }, []],
    ['not an object', 'constructor', []],
  ])('%s', (_name, value, expected) => {
    expect(reservedKeyPaths(value)).toEqual(expected);
  });
});
