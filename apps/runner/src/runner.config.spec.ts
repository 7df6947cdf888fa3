import { loadRunnerConfig, type RunnerEnv } from './runner.config.js';
import { RunnerFailure } from './runner.failure.js';

function failureOf(env: RunnerEnv): RunnerFailure {
  try {
    loadRunnerConfig(env, '/tmp');
  } catch (error) {
    if (error instanceof RunnerFailure) return error;
    throw error;
  }
  throw new Error('expected a RunnerFailure, nothing was thrown');
}

describe('loadRunnerConfig', () => {
  it('fills in every default', () => {
    expect(loadRunnerConfig({}, '/var/tmp')).toEqual({
      resultUrl: undefined,
      resultToken: undefined,
      dataDir: undefined,
      allowLoopback: false,
      allowCidrs: [],
      watchStdin: false,
      exitRecord: undefined,
      duckdbMemoryLimit: '1GB',
      duckdbThreads: 2,
      duckdbTempMaxBytes: 2 * 1024 ** 3,
      sourceMaxBytes: 10 * 1024 ** 3,
      resultMaxBytes: 256 * 1024 ** 2,
      tmpDir: '/var/tmp',
    });
  });

  it('reads every variable', () => {
    const config = loadRunnerConfig(
      {
        FERRY_RESULT_URL: 'http://gateway:8080/internal/results/j1/1',
        FERRY_RESULT_TOKEN: 'tok',
        FERRY_DATA_DIR: '/data',
        FERRY_SOURCE_ALLOW_LOOPBACK: 'true',
        FERRY_SOURCE_ALLOW_CIDRS: '10.0.0.0/8, fd00::/8,',
        FERRY_WATCH_STDIN: '1',
        FERRY_EXIT_RECORD: '/state/acme/j1/1.json',
        FERRY_DUCKDB_MEMORY_LIMIT: '512MiB',
        FERRY_DUCKDB_THREADS: '4',
        FERRY_DUCKDB_TEMP_MAX_BYTES: '1048576',
        FERRY_SOURCE_MAX_BYTES: '1000',
        FERRY_RESULT_MAX_BYTES: '2000',
        FERRY_TMP_DIR: '/scratch',
      },
      '/tmp',
    );
    expect(config).toEqual({
      resultUrl: new URL('http://gateway:8080/internal/results/j1/1'),
      resultToken: 'tok',
      dataDir: '/data',
      allowLoopback: true,
      allowCidrs: [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: 'fd00::', prefix: 8, family: 'ipv6' },
      ],
      watchStdin: true,
      exitRecord: '/state/acme/j1/1.json',
      duckdbMemoryLimit: '512MiB',
      duckdbThreads: 4,
      duckdbTempMaxBytes: 1_048_576,
      sourceMaxBytes: 1000,
      resultMaxBytes: 2000,
      tmpDir: '/scratch',
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadRunnerConfig({ FERRY_DUCKDB_THREADS: '', FERRY_SOURCE_ALLOW_LOOPBACK: ' ' }, '/tmp')).toMatchObject({
      duckdbThreads: 2,
      allowLoopback: false,
    });
  });

  it.each<[string, RunnerEnv]>([
    ['FERRY_RESULT_URL', { FERRY_RESULT_URL: 'not a url' }],
    ['FERRY_RESULT_URL', { FERRY_RESULT_URL: 'ftp://gateway/x' }],
    ['FERRY_DATA_DIR', { FERRY_DATA_DIR: 'relative/data' }],
    ['FERRY_SOURCE_ALLOW_LOOPBACK', { FERRY_SOURCE_ALLOW_LOOPBACK: 'yes' }],
    ['FERRY_SOURCE_ALLOW_CIDRS', { FERRY_SOURCE_ALLOW_CIDRS: '10.0.0.0/8,bogus' }],
    ['FERRY_SOURCE_ALLOW_CIDRS', { FERRY_SOURCE_ALLOW_CIDRS: '10.0.0.0' }],
    ['FERRY_WATCH_STDIN', { FERRY_WATCH_STDIN: '2' }],
    ['FERRY_EXIT_RECORD', { FERRY_EXIT_RECORD: 'attempts/1.json' }],
    ['FERRY_DUCKDB_MEMORY_LIMIT', { FERRY_DUCKDB_MEMORY_LIMIT: 'lots' }],
    ['FERRY_DUCKDB_MEMORY_LIMIT', { FERRY_DUCKDB_MEMORY_LIMIT: "1GB'; SET x=1; --" }],
    ['FERRY_DUCKDB_THREADS', { FERRY_DUCKDB_THREADS: '0' }],
    ['FERRY_DUCKDB_THREADS', { FERRY_DUCKDB_THREADS: '2.5' }],
    ['FERRY_DUCKDB_TEMP_MAX_BYTES', { FERRY_DUCKDB_TEMP_MAX_BYTES: '2GB' }],
    ['FERRY_SOURCE_MAX_BYTES', { FERRY_SOURCE_MAX_BYTES: '-1' }],
    ['FERRY_RESULT_MAX_BYTES', { FERRY_RESULT_MAX_BYTES: '10MB' }],
    ['FERRY_TMP_DIR', { FERRY_TMP_DIR: 'tmp' }],
  ])('names %s for %j: a permanent InvalidConfig failure', (name, env) => {
    const failure = failureOf(env);
    expect(failure).toMatchObject({ exitCode: 2, reason: 'InvalidConfig' });
    expect(failure.message).toMatch(new RegExp(`^invalid configuration: ${name} must be `));
  });

  it('names every bad variable at once', () => {
    const failure = failureOf({ FERRY_DUCKDB_THREADS: 'x', FERRY_TMP_DIR: 'y' });
    expect(failure.message).toContain('FERRY_DUCKDB_THREADS');
    expect(failure.message).toContain('FERRY_TMP_DIR');
  });
});
