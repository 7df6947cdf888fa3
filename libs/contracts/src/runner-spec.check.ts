import { ErrorCode, FerryError } from './errors.js';
import type { RunnerSpec } from './runner-spec.js';
import { CURRENT_ATTEMPT } from './upload-attempt.js';

const KINDS: ReadonlySet<string> = new Set(['sql', 'sleep', 'fail', 'container']);
const SPEC_KEYS: ReadonlySet<string> = new Set(['id', 'tenant', 'pipeline', 'kind', 'attempt', 'params', 'argv']);

/**
 * `RunnerSpecSchema`'s rules written out by hand, for the runner alone: a JSON-Schema validator
 * (and its schema builder) costs a third of a `sleep 0` job's start. A spec test holds the two to
 * the same verdicts.
 */
export function checkRunnerSpec(value: unknown): RunnerSpec {
  const fail = (why: string): never => {
    throw new FerryError(ErrorCode.MalformedMessage, `malformed runner spec: ${why}`);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('not an object');
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) if (!SPEC_KEYS.has(key)) fail(`unknown property "${key}"`);
  for (const key of ['id', 'tenant', 'pipeline'] as const) if (typeof spec[key] !== 'string') fail(`${key} must be a string`);
  if (typeof spec['kind'] !== 'string' || !KINDS.has(spec['kind'])) fail('kind must be sql, sleep, fail or container');
  const attempt = spec['attempt'];
  if (attempt !== CURRENT_ATTEMPT && (!Number.isInteger(attempt) || (attempt as number) < 1)) fail(`attempt must be an integer of at least 1 or "${CURRENT_ATTEMPT}"`);
  const params = spec['params'];
  if (params === null || typeof params !== 'object' || Array.isArray(params)) fail('params must be an object');
  const argv = spec['argv'];
  if (argv !== undefined && (!Array.isArray(argv) || argv.length === 0 || !argv.every((item) => typeof item === 'string'))) {
    fail('argv must be a non-empty array of strings');
  }
  return spec as RunnerSpec;
}
