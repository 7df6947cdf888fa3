import type { Static, TObject } from '@sinclair/typebox';
import { Ajv } from 'ajv';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const ajv = new Ajv({ coerceTypes: true, useDefaults: true, allErrors: true, strict: false });

/**
 * Reads a process's configuration from its environment against a schema (defaults filled, numbers
 * coerced, blank values unset); a bad value throws a `ConfigError` naming each offending variable.
 */
export function parseEnv<S extends TObject>(schema: S, env: NodeJS.ProcessEnv): Static<S> {
  const validate = ajv.compile(schema);
  const values: Record<string, unknown> = {};
  for (const name of Object.keys(schema.properties)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') values[name] = value;
  }
  if (!validate(values)) {
    const problems = (validate.errors ?? []).map((error) => `${error.instancePath.slice(1) || 'environment'} ${error.message ?? 'is invalid'}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return values;
}
