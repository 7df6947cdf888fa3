import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;
const FROM_THE_START = '0';

/**
 * SSE event ids that say nothing: the events stream's sequence is global, so plain ids would show
 * a tenant how many events every other tenant caused between two of its own. An id is one AES
 * block holding the sequence and a tag of the job it belongs to, so it reads back only on that
 * job's stream (`Last-Event-ID`) and looks random everywhere. Every gateway replica derives the
 * same key from the shared secret, so a stream resumes on any replica.
 */
export class EventIds {
  /** Encrypts the block. */
  readonly #key: Buffer;
  /** Tags the job a block belongs to: a key of its own, derived apart from the cipher's. */
  readonly #tagKey: Buffer;

  /** `secret` undefined (no FERRY_RESULT_SECRET): keys of this process, so a resume on another replica starts from the snapshot. */
  constructor(secret: string | undefined) {
    const root = secret ?? randomBytes(32).toString('base64url');
    this.#key = Buffer.from(hkdfSync('sha256', root, '', 'ferry sse event ids', 16));
    this.#tagKey = Buffer.from(hkdfSync('sha256', root, '', 'ferry sse event id tags', 32));
  }

  encode(tenant: string, jobId: string, sequence: number): string {
    const block = Buffer.alloc(16);
    block.writeBigUInt64BE(BigInt(sequence), 0);
    this.tag(tenant, jobId).copy(block, 8);
    const cipher = createCipheriv('aes-128-ecb', this.#key, null).setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
  }

  /**
   * The sequence an id of this job's stream names; `0` for `0` (replay all the stream still holds
   * of the job, which tells nothing); `undefined` for anything else.
   */
  decode(tenant: string, jobId: string, id: string | undefined): number | undefined {
    if (id === FROM_THE_START) return 0;
    if (id === undefined || !ID_PATTERN.test(id)) return undefined;
    const decipher = createDecipheriv('aes-128-ecb', this.#key, null).setAutoPadding(false);
    const block = Buffer.concat([decipher.update(Buffer.from(id, 'base64url')), decipher.final()]);
    if (!block.subarray(8).equals(this.tag(tenant, jobId))) return undefined;
    const sequence = block.readBigUInt64BE(0);
    return sequence <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sequence) : undefined;
  }

  private tag(tenant: string, jobId: string): Buffer {
    return createHmac('sha256', this.#tagKey).update(`${tenant}.${jobId}`).digest().subarray(0, 8);
  }
}
