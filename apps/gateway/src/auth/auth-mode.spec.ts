import { authEnabled } from './auth-mode.js';
import { hashApiKey, type ApiKeyTable } from './api-keys.js';

const KEYS: ApiKeyTable = new Map([[hashApiKey('acme-key-0123456789abcdef'), 'acme']]);
const NONE: ApiKeyTable = new Map();

describe('authEnabled', () => {
  it('checks keys when auth is on and there are keys', () => {
    expect(authEnabled({ FERRY_AUTH: 'on', FERRY_AUTH_OFF_ANY_HOST: 'no', HOST: '0.0.0.0' }, KEYS)).toBe(true);
  });

  it.each(['127.0.0.1', '::1', 'localhost'])('serves without keys on loopback (%s) when auth is off', (host) => {
    expect(authEnabled({ FERRY_AUTH: 'off', FERRY_AUTH_OFF_ANY_HOST: 'no', HOST: host }, NONE)).toBe(false);
  });

  it.each<[string, Parameters<typeof authEnabled>[0], ApiKeyTable, RegExp]>([
    ['auth on without a key', { FERRY_AUTH: 'on', FERRY_AUTH_OFF_ANY_HOST: 'no', HOST: '127.0.0.1' }, NONE, /no API keys/],
    ['auth off with keys configured', { FERRY_AUTH: 'off', FERRY_AUTH_OFF_ANY_HOST: 'no', HOST: '127.0.0.1' }, KEYS, /keys would be ignored/],
    ['auth off on every address', { FERRY_AUTH: 'off', FERRY_AUTH_OFF_ANY_HOST: 'no', HOST: '0.0.0.0' }, NONE, /listens on 0\.0\.0\.0/],
    ['auth off on a public address', { FERRY_AUTH: 'off', FERRY_AUTH_OFF_ANY_HOST: 'no', HOST: '10.1.2.3' }, NONE, /FERRY_AUTH_OFF_ANY_HOST=yes/],
  ])('refuses to start with %s', (_name, config, keys, message) => {
    expect(() => authEnabled(config, keys)).toThrow(message);
  });

  it('serves without keys on any address when FERRY_AUTH_OFF_ANY_HOST=yes says so', () => {
    expect(authEnabled({ FERRY_AUTH: 'off', FERRY_AUTH_OFF_ANY_HOST: 'yes', HOST: '0.0.0.0' }, NONE)).toBe(false);
  });
});
