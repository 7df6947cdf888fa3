import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isTenantName } from '@ferry/contracts';
import { ConfigError } from '../config/gateway.config.js';

/** Maps the SHA-256 of an API key to its tenant, so keys are looked up without being kept in clear. */
export type ApiKeyTable = ReadonlyMap<string, string>;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** `FERRY_API_KEYS`: `tenant:key,tenant:key`. */
export function parseApiKeyPairs(text: string): Map<string, string> {
  const table = new Map<string, string>();
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .forEach((pair, index) => {
      const separator = pair.indexOf(':');
      const tenant = separator < 1 ? '' : pair.slice(0, separator);
      const key = pair.slice(separator + 1);
      if (!isTenantName(tenant) || key.length < 16) {
        // Name the entry by position only: its text may hold a key.
        throw new ConfigError(`FERRY_API_KEYS entry ${index + 1} must be tenant:key, a tenant like "acme" and a key of at least 16 characters`);
      }
      table.set(hashApiKey(key), tenant);
    });
  return table;
}

/** `FERRY_API_KEYS_FILE`: lines `tenant:sha256:<64 hex>`; blank lines and `#` comments are skipped. */
export function parseApiKeyFile(text: string, path: string): Map<string, string> {
  const table = new Map<string, string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = /^([a-z0-9-]+):sha256:([0-9a-f]{64})$/.exec(line);
    if (match === null || !isTenantName(match[1] ?? '')) {
      throw new ConfigError(`FERRY_API_KEYS_FILE ${path}:${index + 1}: expected tenant:sha256:<64 lowercase hex digits>`);
    }
    table.set(match[2] ?? '', match[1] ?? '');
  });
  return table;
}

export function loadApiKeys(config: { FERRY_API_KEYS?: string | undefined; FERRY_API_KEYS_FILE?: string | undefined }): ApiKeyTable {
  const table = new Map<string, string>();
  if (config.FERRY_API_KEYS !== undefined) for (const [hash, tenant] of parseApiKeyPairs(config.FERRY_API_KEYS)) table.set(hash, tenant);
  if (config.FERRY_API_KEYS_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.FERRY_API_KEYS_FILE, 'utf8');
    } catch (error) {
      throw new ConfigError(`FERRY_API_KEYS_FILE ${config.FERRY_API_KEYS_FILE} cannot be read: ${(error as Error).message}`);
    }
    for (const [hash, tenant] of parseApiKeyFile(text, config.FERRY_API_KEYS_FILE)) table.set(hash, tenant);
  }
  return table;
}
