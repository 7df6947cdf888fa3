import { tmpdir } from 'node:os';
import { isAbsolute } from 'node:path';
import { RUNNER_ENV } from '@ferry/contracts/runner';
import { parseCidr, type Cidr } from '@ferry/source-policy';
import { permanent, RunnerReason, type RunnerFailure } from './runner.failure.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Everything the runner reads from its environment besides the job spec, validated once at start. */
export interface RunnerConfig {
  /** Where the result goes (`PUT`); required by `sql` jobs only, passed through to containers. */
  readonly resultUrl: URL | undefined;
  readonly resultToken: string | undefined;
  /** Local mode: `file://` sources must resolve (symlinks included) below it. Unset: `file://` refused. */
  readonly dataDir: string | undefined;
  /** Loopback sources: off unless FERRY_SOURCE_ALLOW_LOOPBACK=true (docs/architecture.md §3). */
  readonly allowLoopback: boolean;
  /** Private ranges (RFC 1918, CGNAT, ULA) sources may use. */
  readonly allowCidrs: readonly Cidr[];
  /** The executor holds our stdin open; its end means the controller is gone, so the attempt stops. */
  readonly watchStdin: boolean;
  /** Local mode: where to leave the exit record for a controller that misses the exit. */
  readonly exitRecord: string | undefined;
  /** DuckDB `memory_limit`; past it, operators spill to the temp folder, then fail. */
  readonly duckdbMemoryLimit: string;
  readonly duckdbThreads: number;
  /** DuckDB `max_temp_directory_size`: what a query may spill before it fails with `DiskLimitExceeded`. */
  readonly duckdbTempMaxBytes: number;
  /** All sources of a job together, on the pod's disk. */
  readonly sourceMaxBytes: number;
  /** The result upload; the gateway enforces its own cap too. */
  readonly resultMaxBytes: number;
  /** Parent of the job's private temp folder. */
  readonly tmpDir: string;
}

export type RunnerEnv = Readonly<Record<string, string | undefined>>;

const MEMORY_LIMIT = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/** Reads and checks every variable; a bad one fails with a message naming each bad variable. */
export function loadRunnerConfig(env: RunnerEnv, defaultTmpDir: string = tmpdir()): RunnerConfig {
  const problems: string[] = [];
  const read = <T>(name: string, fallback: T, parse: (value: string) => T | undefined, expected: string): T => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = parse(raw.trim());
    if (value === undefined) problems.push(`${name} must be ${expected} (got ${JSON.stringify(raw)})`);
    return value ?? fallback;
  };

  const config: RunnerConfig = {
    resultUrl: read<URL | undefined>(RUNNER_ENV.resultUrl, undefined, parseHttpUrl, 'an http(s) URL'),
    resultToken: read<string | undefined>(RUNNER_ENV.resultToken, undefined, (value) => value, 'a token'),
    dataDir: read<string | undefined>(RUNNER_ENV.dataDir, undefined, absolutePath, 'an absolute path'),
    allowLoopback: read(RUNNER_ENV.allowLoopback, false, parseBoolean, '"true" or "false"'),
    allowCidrs: read(RUNNER_ENV.allowCidrs, [], parseCidrList, 'a comma-separated list of CIDRs, e.g. 10.0.0.0/8,fd00::/8'),
    watchStdin: read(RUNNER_ENV.watchStdin, false, parseBoolean, '"1" or "0"'),
    exitRecord: read<string | undefined>(RUNNER_ENV.exitRecord, undefined, absolutePath, 'an absolute path'),
    duckdbMemoryLimit: read(RUNNER_ENV.duckdbMemoryLimit, '1GB', (value) => (MEMORY_LIMIT.test(value) ? value : undefined), 'a size such as 512MB or 2GiB'),
    duckdbThreads: read(RUNNER_ENV.duckdbThreads, 2, (value) => integerIn(value, 1, 1024), 'an integer from 1 to 1024'),
    duckdbTempMaxBytes: read(RUNNER_ENV.duckdbTempMaxBytes, 2 * GiB, (value) => integerIn(value, 1, Number.MAX_SAFE_INTEGER), 'a positive number of bytes'),
    sourceMaxBytes: read(RUNNER_ENV.sourceMaxBytes, 10 * GiB, (value) => integerIn(value, 1, Number.MAX_SAFE_INTEGER), 'a positive number of bytes'),
    resultMaxBytes: read(RUNNER_ENV.resultMaxBytes, 256 * MiB, (value) => integerIn(value, 1, Number.MAX_SAFE_INTEGER), 'a positive number of bytes'),
    tmpDir: read(RUNNER_ENV.tmpDir, defaultTmpDir, absolutePath, 'an absolute path'),
  };
  if (problems.length > 0) throw configFailure(problems);
  return config;
}

/** A variable a pipeline needs but the environment lacks, named like a bad value is. */
export function missingVariable(name: string, why: string): RunnerFailure {
  return configFailure([`${name} is required ${why}`]);
}

function configFailure(problems: readonly string[]): RunnerFailure {
  return permanent(RunnerReason.InvalidConfig, `invalid configuration: ${problems.join('; ')}`);
}

function parseHttpUrl(value: string): URL | undefined {
  const url = URL.parse(value);
  return url && (url.protocol === 'http:' || url.protocol === 'https:') ? url : undefined;
}

function absolutePath(value: string): string | undefined {
  return isAbsolute(value) ? value : undefined;
}

function parseBoolean(value: string): boolean | undefined {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return undefined;
}

function integerIn(value: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return number >= min && number <= max ? number : undefined;
}

function parseCidrList(value: string): Cidr[] | undefined {
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const cidrs = entries.map(parseCidr);
  return cidrs.every((cidr) => cidr !== undefined) ? cidrs : undefined;
}
