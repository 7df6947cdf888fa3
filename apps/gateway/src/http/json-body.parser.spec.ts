import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-body.parser.js';

describe('nestsDeeperThan', () => {
  it.each<[string, string, number, boolean]>([
    ['flat', '{"a":1,"b":[1,2]}', 2, false],
    ['exactly the bound', '[[[]]]', 3, false],
    ['one past the bound', '[[[[]]]]', 3, true],
    ['siblings do not add up', '[[],[],[],[]]', 2, false],
    ['brackets inside strings do not count', '["[[[[[[", "{{{{"]', 1, false],
    ['an escaped quote does not end a string', '["\\"[[[[[["]', 1, false],
    ['an escaped backslash does', '["\\\\", [[[]]]]', 3, true],
  ])('%s', (_name, text, max, expected) => {
    expect(nestsDeeperThan(text, max)).toBe(expected);
  });

  it('walks 100k levels without recursion', () => {
    expect(nestsDeeperThan('['.repeat(100_000) + ']'.repeat(100_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
