import type { ObjectStore } from '@nats-io/obj';
import { jobKey } from '@ferry/contracts';
import { toDomainError } from './nats-errors.js';

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
  constructor(private readonly store: ObjectStore) {}

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
