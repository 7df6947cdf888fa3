import type { KV } from '@nats-io/kv';
import { decodeWith, parseTenantUsage, type TenantUsage } from '@ferry/contracts';
import { toDomainError } from './nats-errors.js';

const encoder = new TextEncoder();

/**
 * Each tenant's usage, one key per tenant. The leading controller writes it (it reads every
 * record); gateways read it to answer quotas. Last writer wins: there is one writer at a time.
 */
export class UsageStore {
  constructor(private readonly kv: KV) {}

  async get(tenant: string): Promise<TenantUsage | undefined> {
    try {
      const entry = await this.kv.get(tenant);
      if (entry === null || entry.operation !== 'PUT') return undefined;
      return decodeWith(parseTenantUsage, entry.value, 'tenant usage');
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** Every tenant the bucket holds usage of (an ordered consumer, deleted when the listing ends). */
  async tenants(): Promise<string[]> {
    try {
      const tenants: string[] = [];
      for await (const key of await this.kv.keys()) tenants.push(key);
      return tenants;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  async put(tenant: string, usage: TenantUsage): Promise<void> {
    try {
      await this.kv.put(tenant, encoder.encode(JSON.stringify(usage)));
    } catch (error) {
      throw toDomainError(error);
    }
  }
}
