import type { KV } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import { jobKey } from '@ferry/contracts';
import { isWrongLastSequence, toDomainError } from './nats-errors.js';
import type { FerryNats } from './topology.js';

export interface StoredResult {
  readonly contentType: string;
  readonly bytes: number;
  readonly data: ReadableStream<Uint8Array>;
}

/**
 * Job results in the object store, one object per attempt (`<tenant>.<id>.<attempt>`), with the
 * content type in the object's metadata. Per attempt, so that a stale attempt's upload can never
 * overwrite the result of the attempt that counts.
 */
export class ResultStore {
  constructor(
    private readonly store: ObjectStore,
    private readonly claims: KV,
  ) {}

  static on(nats: FerryNats): ResultStore {
    return new ResultStore(nats.results, nats.uploadClaims);
  }

  /**
   * Claims the upload of one attempt, create-only: of concurrent uploads exactly one may write the
   * object and then the record, so the two always agree. False when another holds the claim.
   */
  async claim(tenant: string, jobId: string, attempt: number): Promise<boolean> {
    try {
      await this.claims.create(objectName(tenant, jobId, attempt), new TextEncoder().encode(new Date().toISOString()));
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw toDomainError(error);
    }
  }

  /** Gives a claim back: after the record names the result (nothing more to guard), or after a failed upload (so it may be retried). */
  async release(tenant: string, jobId: string, attempt: number): Promise<void> {
    try {
      await this.claims.purge(objectName(tenant, jobId, attempt));
    } catch (error) {
      throw toDomainError(error);
    }
  }

  async put(tenant: string, jobId: string, attempt: number, contentType: string, data: ReadableStream<Uint8Array>): Promise<{ bytes: number; digest: string }> {
    try {
      const info = await this.store.put({ name: objectName(tenant, jobId, attempt), metadata: { contentType } }, data);
      return { bytes: info.size, digest: info.digest };
    } catch (error) {
      throw toDomainError(error);
    }
  }

  async get(tenant: string, jobId: string, attempt: number): Promise<StoredResult | undefined> {
    try {
      const result = await this.store.get(objectName(tenant, jobId, attempt));
      if (result === null) return undefined;
      return {
        contentType: result.info.metadata?.['contentType'] ?? 'application/octet-stream',
        bytes: result.info.size,
        data: result.data,
      };
    } catch (error) {
      throw toDomainError(error);
    }
  }
}

function objectName(tenant: string, jobId: string, attempt: number): string {
  return `${jobKey(tenant, jobId)}.${attempt}`;
}
