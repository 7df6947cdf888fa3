import { createHash } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import { decodeWith, parseIdempotencyRecord, type IdempotencyRecord } from '@ferry/contracts';
import { isWrongLastSequence, toDomainError } from './nats-errors.js';

export type ClaimOutcome = { readonly claimed: true } | { readonly claimed: false; readonly existing: IdempotencyRecord };

const encoder = new TextEncoder();

/**
 * `Idempotency-Key` records, one per tenant and key, expiring with the bucket's TTL (24 h).
 * A claim is a create-only write, so of any number of concurrent requests with one key exactly
 * one claims it; the others read the winner's record and answer with its job.
 */
export class IdempotencyStore {
  constructor(private readonly kv: KV) {}

  async claim(tenant: string, idempotencyKey: string, record: IdempotencyRecord): Promise<ClaimOutcome> {
    const key = this.key(tenant, idempotencyKey);
    for (;;) {
      try {
        await this.kv.create(key, encoder.encode(JSON.stringify(record)));
        return { claimed: true };
      } catch (error) {
        if (!isWrongLastSequence(error)) throw toDomainError(error);
      }
      const existing = await this.read(key);
      // The winner's record can expire between our create and this read; then claim again.
      if (existing !== undefined) return { claimed: false, existing };
    }
  }

  /** The record a claim of this key left, if it has not expired. */
  find(tenant: string, idempotencyKey: string): Promise<IdempotencyRecord | undefined> {
    return this.read(this.key(tenant, idempotencyKey));
  }

  private async read(key: string): Promise<IdempotencyRecord | undefined> {
    try {
      const entry = await this.kv.get(key);
      if (entry === null || entry.operation !== 'PUT') return undefined;
      return decodeWith(parseIdempotencyRecord, entry.value, 'idempotency record');
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** Keys are client text of any shape; a digest makes them a valid, fixed-length KV key. */
  private key(tenant: string, idempotencyKey: string): string {
    return `${tenant}.${createHash('sha256').update(idempotencyKey).digest('hex')}`;
  }
}
