import type { ObjectStore } from '@nats-io/obj';
import { jobKey } from '@ferry/contracts';
import { toDomainError } from './nats-errors.js';

export interface StoredResult {
  readonly contentType: string;
  readonly bytes: number;
  readonly data: ReadableStream<Uint8Array>;
}

/** Job results in the object store, named `<tenant>.<id>`, with their content type in the object's headers. */
export class ResultStore {
  constructor(private readonly store: ObjectStore) {}

  async put(tenant: string, jobId: string, contentType: string, data: ReadableStream<Uint8Array>): Promise<{ bytes: number; digest: string }> {
    try {
      const info = await this.store.put({ name: jobKey(tenant, jobId), metadata: { contentType } }, data);
      return { bytes: info.size, digest: info.digest };
    } catch (error) {
      throw toDomainError(error);
    }
  }

  async get(tenant: string, jobId: string): Promise<StoredResult | undefined> {
    try {
      const result = await this.store.get(jobKey(tenant, jobId));
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
