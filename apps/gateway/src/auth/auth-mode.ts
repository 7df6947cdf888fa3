import { ConfigError } from '@ferry/contracts';
import type { GatewayEnv } from '../config/gateway.config.js';
import type { ApiKeyTable } from './api-keys.js';

/** Addresses only this machine can reach: the one place a gateway without auth may listen. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Whether the gateway checks API keys, from FERRY_AUTH and the keys it was given. Refuses the
 * settings that would expose every tenant's jobs by mistake: keys configured while auth is off
 * (an operator who set keys means them to be checked), auth off on an address other machines can
 * reach unless FERRY_AUTH_OFF_ANY_HOST=yes says so, and auth on without a key.
 */
export function authEnabled(config: Pick<GatewayEnv, 'FERRY_AUTH' | 'FERRY_AUTH_OFF_ANY_HOST' | 'HOST'>, keys: ApiKeyTable): boolean {
  if (config.FERRY_AUTH === 'on') {
    if (keys.size === 0) {
      throw new ConfigError('no API keys: set FERRY_API_KEYS (tenant:key,…) or FERRY_API_KEYS_FILE, or FERRY_AUTH=off for a closed laptop setup');
    }
    return true;
  }
  if (keys.size > 0) throw new ConfigError('FERRY_AUTH=off together with API keys: the keys would be ignored; unset one of them');
  if (!LOOPBACK_HOSTS.has(config.HOST) && config.FERRY_AUTH_OFF_ANY_HOST !== 'yes') {
    throw new ConfigError(
      `FERRY_AUTH=off listens on ${config.HOST}, where other machines reach every job without a key: set HOST=127.0.0.1, or FERRY_AUTH_OFF_ANY_HOST=yes if that is meant`,
    );
  }
  return false;
}
