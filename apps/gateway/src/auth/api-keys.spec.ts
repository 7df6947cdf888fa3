import { createHash } from 'node:crypto';
import { ConfigError } from '../config/gateway.config.js';
import { hashApiKey, parseApiKeyFile, parseApiKeyPairs } from './api-keys.js';

const KEY_A = 'a-secret-key-0001';
const KEY_B = 'another-secret-key-2';

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('hashApiKey', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ])('hashes %j to its SHA-256 hex', (key, hex) => {
    expect(hashApiKey(key)).toBe(hex);
  });

  it('is lowercase hex of 64 digits, as node:crypto computes it', () => {
    expect(hashApiKey(KEY_A)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(KEY_A)).toBe(createHash('sha256').update(KEY_A, 'utf8').digest('hex'));
  });
});

describe('parseApiKeyPairs', () => {
  it('maps the hash of each key to its tenant', () => {
    const table = parseApiKeyPairs(`acme:${KEY_A},globex:${KEY_B}`);
    expect([...table]).toEqual([
      [hashApiKey(KEY_A), 'acme'],
      [hashApiKey(KEY_B), 'globex'],
    ]);
  });

  it('trims spaces and skips empty items', () => {
    const table = parseApiKeyPairs(` acme:${KEY_A} ,, globex:${KEY_B},`);
    expect(table.get(hashApiKey(KEY_A))).toBe('acme');
    expect(table.get(hashApiKey(KEY_B))).toBe('globex');
    expect(table.size).toBe(2);
  });

  it('keeps colons after the first in the key', () => {
    const key = 'key:with:colons:123';
    expect(parseApiKeyPairs(`acme:${key}`).get(hashApiKey(key))).toBe('acme');
  });

  it('accepts a key of exactly 16 characters', () => {
    expect(parseApiKeyPairs(`acme:${'k'.repeat(16)}`).get(hashApiKey('k'.repeat(16)))).toBe('acme');
  });

  it('gives an empty table for an empty string', () => {
    expect(parseApiKeyPairs('').size).toBe(0);
  });

  it('never keeps a key in clear', () => {
    const table = parseApiKeyPairs(`acme:${KEY_A}`);
    expect([...table.keys(), ...table.values()]).not.toContain(KEY_A);
  });

  it.each([
    ['an uppercase tenant', `Acme:${KEY_A}`],
    ['a tenant with an underscore', `a_b:${KEY_A}`],
    ['a tenant starting with a dash', `-acme:${KEY_A}`],
    ['an empty tenant', `:${KEY_A}`],
    ['a 15-character key', `acme:${'k'.repeat(15)}`],
    ['an empty key', 'acme:'],
    ['a missing colon', `acme${KEY_A}`],
    ['one bad pair among good ones', `acme:${KEY_A},globex:short`],
  ])('throws a ConfigError for %s', (_name, text) => {
    const error = errorOf(() => parseApiKeyPairs(text));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/^FERRY_API_KEYS entry \d must be tenant:key, a tenant like "acme" and a key of at least 16 characters$/);
    expect(error.message).not.toContain('secret-key');
  });

  it('names a bad entry by its position, never by its text (which may hold a key)', () => {
    expect(errorOf(() => parseApiKeyPairs('acme:short-key')).message).not.toContain('short-key');
    expect(errorOf(() => parseApiKeyPairs(`globex:${KEY_B},acme=${KEY_A}`)).message).toMatch(/^FERRY_API_KEYS entry 2 /);
    expect(errorOf(() => parseApiKeyPairs(`acme=${KEY_A}`)).message).not.toContain('secret');
  });
});

describe('parseApiKeyFile', () => {
  const hashA = hashApiKey(KEY_A);
  const hashB = hashApiKey(KEY_B);

  it('reads tenant:sha256:<hex> lines, skipping comments and blank lines', () => {
    const text = ['# Ferry API keys', '', `acme:sha256:${hashA}`, '   ', '  # indented comment', `  globex:sha256:${hashB}  `, ''].join('\n');
    expect([...parseApiKeyFile(text, '/etc/ferry/keys')]).toEqual([
      [hashA, 'acme'],
      [hashB, 'globex'],
    ]);
  });

  it('reads CRLF line ends', () => {
    expect(parseApiKeyFile(`acme:sha256:${hashA}\r\nglobex:sha256:${hashB}\r\n`, 'keys').size).toBe(2);
  });

  it('gives an empty table for an empty file', () => {
    expect(parseApiKeyFile('', 'keys').size).toBe(0);
  });

  it.each([
    ['a key in clear', `acme:${KEY_A}`],
    ['uppercase hex', `acme:sha256:${hashA.toUpperCase()}`],
    ['short hex', `acme:sha256:${hashA.slice(1)}`],
    ['long hex', `acme:sha256:${hashA}0`],
    ['another algorithm', `acme:sha512:${hashA}`],
    ['a tenant ending in a dash', `acme-:sha256:${hashA}`],
    ['an uppercase tenant', `Acme:sha256:${hashA}`],
    ['a tenant of 41 characters', `${'a'.repeat(41)}:sha256:${hashA}`],
    ['a trailing comment', `acme:sha256:${hashA} # ops`],
  ])('throws a ConfigError naming path:line for %s', (_name, line) => {
    const text = ['# keys', `globex:sha256:${hashB}`, '', line].join('\n');
    const error = errorOf(() => parseApiKeyFile(text, '/etc/ferry/keys'));
    expect(error.message).toBe('FERRY_API_KEYS_FILE /etc/ferry/keys:4: expected tenant:sha256:<64 lowercase hex digits>');
  });
});
