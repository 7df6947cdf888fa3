import { fileURLToPath } from 'node:url';
import { ConfigError, loadGatewayConfig } from './gateway.config.js';

const REPO_CATALOG = fileURLToPath(new URL('../../../../pipelines/catalog.yaml', import.meta.url));

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadGatewayConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadGatewayConfig', () => {
  it('fills in every default', () => {
    expect(loadGatewayConfig({})).toEqual({
      PORT: 8080,
      HOST: '0.0.0.0',
      FERRY_AUTH: 'on',
      FERRY_AUTH_OFF_ANY_HOST: 'no',
      FERRY_PIPELINES: REPO_CATALOG,
      FERRY_RATE_LIMIT: 100,
      FERRY_RATE_BURST: 200,
      FERRY_RESULT_MAX_BYTES: 268_435_456,
      FERRY_BODY_LIMIT_BYTES: 1_048_576,
      FERRY_SSE_HEARTBEAT_SECONDS: 15,
      FERRY_STREAMS_PER_TENANT: 100,
      FERRY_STREAMS_PER_REPLICA: 2000,
      FERRY_TENANT_MAX_JOBS: 100_000,
      FERRY_TENANT_MAX_BYTES: 1_073_741_824,
      FERRY_SHUTDOWN_GRACE_SECONDS: 10,
      LOG_LEVEL: 'info',
    });
  });

  it('points the default catalog at the repository file', () => {
    expect(REPO_CATALOG).toMatch(/\/pipelines\/catalog\.yaml$/);
    expect(loadGatewayConfig({}).FERRY_PIPELINES).toBe(REPO_CATALOG);
  });

  it('coerces numbers from the environment', () => {
    const config = loadGatewayConfig({ PORT: '9000', FERRY_RATE_LIMIT: '2.5', FERRY_RATE_BURST: '5', FERRY_SSE_HEARTBEAT_SECONDS: '0.5' });
    expect(config.PORT).toBe(9000);
    expect(config.FERRY_RATE_LIMIT).toBe(2.5);
    expect(config.FERRY_RATE_BURST).toBe(5);
    expect(config.FERRY_SSE_HEARTBEAT_SECONDS).toBe(0.5);
  });

  it.each(['0', '65535'])('accepts PORT %s', (port) => {
    expect(loadGatewayConfig({ PORT: port }).PORT).toBe(Number(port));
  });

  it('keeps strings and optional values as given', () => {
    const config = loadGatewayConfig({
      HOST: '127.0.0.1',
      FERRY_API_KEYS: 'acme:0123456789abcdef',
      FERRY_AUTH: 'off',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      HOST: '127.0.0.1',
      FERRY_API_KEYS: 'acme:0123456789abcdef',
      FERRY_AUTH: 'off',
      LOG_LEVEL: 'debug',
    });
    expect(config.FERRY_API_KEYS_FILE).toBeUndefined();
  });

  it('treats an empty variable as unset', () => {
    expect(loadGatewayConfig({ PORT: '', LOG_LEVEL: '' })).toMatchObject({ PORT: 8080, LOG_LEVEL: 'info' });
  });

  it('ignores variables it does not know', () => {
    expect(loadGatewayConfig({ HOME: '/root', PATH: '/bin' })).not.toHaveProperty('HOME');
  });

  it.each<[string, NodeJS.ProcessEnv]>([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['PORT', { PORT: '80.5' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'INFO' }],
    ['FERRY_AUTH', { FERRY_AUTH: 'maybe' }],
    ['FERRY_RATE_LIMIT', { FERRY_RATE_LIMIT: '-1' }],
    ['FERRY_RATE_BURST', { FERRY_RATE_BURST: '0' }],
    ['FERRY_BODY_LIMIT_BYTES', { FERRY_BODY_LIMIT_BYTES: '1023' }],
    ['FERRY_SSE_HEARTBEAT_SECONDS', { FERRY_SSE_HEARTBEAT_SECONDS: '0' }],
  ])('names %s in the error for %j', (name, env) => {
    const error = errorOf(env);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(new RegExp(`^invalid configuration: ${name} `));
  });

  it('names every bad variable at once', () => {
    const error = errorOf({ PORT: 'abc', LOG_LEVEL: 'loud' });
    expect(error.message).toContain('PORT must be integer');
    expect(error.message).toContain('LOG_LEVEL');
  });

  it('does not change the environment it reads', () => {
    const env = { PORT: '9000' };
    loadGatewayConfig(env);
    expect(env).toEqual({ PORT: '9000' });
  });
});
