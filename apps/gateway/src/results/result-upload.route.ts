import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  CURRENT_ATTEMPT,
  ErrorCode,
  FerryError,
  isFinalState,
  isJobId,
  isTenantName,
  parseUploadAttempt,
  RESULT_MEDIA_TYPES,
  RESULT_UPLOAD_ROUTE,
  resultMediaType,
  verifyAttemptToken,
  type Job,
  type JobResult,
} from '@ferry/contracts';
import type { JobEventStream, JobStore, ResultStore } from '@ferry/nats';
import type { TenantQuotas } from '../quotas/tenant-quotas.js';

export interface ResultUploadSettings {
  /** `undefined`: uploads are refused (no secret configured). */
  readonly secret: string | undefined;
  readonly maxBytes: number;
  /** Refuses a result while the tenant is at its bytes quota. */
  readonly quotas: Pick<TenantQuotas, 'assertRoomForResult'>;
  /** Reads the time (the record's `updatedAt`); tests pass their own. */
  readonly clock?: () => Date;
}

/** The stores an upload works through (the gateway's `NatsLink`; small fakes in the route's spec). */
export interface UploadStores {
  readonly jobs: Pick<JobStore, 'require' | 'update'>;
  readonly results: Pick<ResultStore, 'claim' | 'release' | 'put'>;
  readonly events: Pick<JobEventStream, 'publish'>;
}

type UploadRequest = FastifyRequest<{ Params: { tenant: string; id: string; attempt: string } }>;

/**
 * `PUT /internal/v1/results/{tenant}/{id}/{attempt}` (`RESULT_UPLOAD_ROUTE`): a job attempt uploads
 * its result once, with the token made for that attempt. Refused unless the token matches, the job
 * is still at that attempt and not final, and no result is recorded yet — so a stale attempt can
 * neither upload nor overwrite. The body streams into the object store (size capped, hashed on
 * the way), then the record gets the result's content type, bytes, rows and SHA-256 by
 * compare-and-set, fenced again.
 * An upload for `current` (a Kubernetes job pod's: see `UploadAttempt`) is for the record's attempt
 * when it arrives; every new attempt voids the last one's result.
 * A raw Fastify route in its own context: it takes any content type, as a stream.
 */
export function registerResultUpload(fastify: FastifyInstance, nats: { stores(): UploadStores }, settings: ResultUploadSettings): void {
  void fastify.register((instance, _options, done) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, _payload, next) => next(null));
    instance.put(RESULT_UPLOAD_ROUTE, async (request: UploadRequest, reply) => {
      const { tenant, id } = request.params;
      const attempt = parseUploadAttempt(request.params.attempt);
      if (!isTenantName(tenant) || !isJobId(id) || attempt === undefined) {
        throw new FerryError(ErrorCode.NotFound, 'no such job attempt');
      }
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (settings.secret === undefined || token === undefined || !verifyAttemptToken(settings.secret, tenant, id, attempt, token)) {
        throw new FerryError(ErrorCode.Unauthorized, 'the result token does not match this job attempt');
      }
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > settings.maxBytes) throw new FerryError(ErrorCode.PayloadTooLarge, `results are limited to ${settings.maxBytes} bytes`);

      const stores = nats.stores();
      const { job } = await stores.jobs.require(tenant, id);
      const current = attempt === CURRENT_ATTEMPT ? job.attempt : attempt;
      assertUploadable(job, current);
      await settings.quotas.assertRoomForResult(tenant);
      const contentType = resultMediaType(request.headers['content-type'] ?? 'application/octet-stream');
      if (contentType === undefined) {
        throw new FerryError(ErrorCode.UnsupportedMediaType, `a result is one of ${Object.keys(RESULT_MEDIA_TYPES).join(', ')}`);
      }
      // Claim, then write: a second upload of this attempt (the same token, at once) is refused here
      // rather than overwriting the object after the first one's record update.
      if (!(await stores.results.claim(tenant, id, current))) {
        throw new FerryError(ErrorCode.Conflict, 'another upload of this attempt is in progress or done');
      }
      try {
        const now = settings.clock ?? (() => new Date());
        const result = await storeResult(stores, request, { tenant, id, attempt: current, contentType, maxBytes: settings.maxBytes, now });
        return await reply.status(201).send(result);
      } finally {
        await stores.results.release(tenant, id, current);
      }
    });
    done();
  });
}

interface UploadTarget {
  readonly tenant: string;
  readonly id: string;
  readonly attempt: number;
  readonly contentType: string;
  readonly maxBytes: number;
  readonly now: () => Date;
}

/**
 * Under the claim: checks the record again (an upload that finished between the first check and
 * the claim has recorded its result), streams the body into the object store (capped, hashed on
 * the way), then records it on the job by compare-and-set, fenced once more, with a `result` event.
 */
async function storeResult(stores: UploadStores, request: UploadRequest, target: UploadTarget): Promise<JobResult> {
  const { tenant, id, attempt, contentType, maxBytes, now } = target;
  assertUploadable((await stores.jobs.require(tenant, id)).job, attempt);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > maxBytes) return callback(new FerryError(ErrorCode.PayloadTooLarge, `results are limited to ${maxBytes} bytes`));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  request.raw.pipe(meter);
  request.raw.once('error', (error) => meter.destroy(error));
  await stores.results.put(tenant, id, attempt, contentType, Readable.toWeb(meter) as ReadableStream<Uint8Array>);

  const rowsHeader = request.headers['ferry-result-rows'];
  const rows = typeof rowsHeader === 'string' && /^\d{1,15}$/.test(rowsHeader) ? Number(rowsHeader) : undefined;
  const result: JobResult = { contentType, bytes, sha256: hash.digest('hex'), ...(rows === undefined ? {} : { rows }) };
  const recorded = await stores.jobs.update(tenant, id, (latest) => {
    assertUploadable(latest, attempt);
    return { ...latest, result, updatedAt: now().toISOString() };
  });
  // Like every write of a record, announced: a watcher learns of the result before the final state.
  await stores.events.publish('result', recorded.job, recorded.revision);
  return result;
}

function assertUploadable(job: Job, attempt: number): void {
  if (job.attempt !== attempt || isFinalState(job.state) || job.state === 'queued') {
    throw new FerryError(ErrorCode.Conflict, `attempt ${attempt} is not the job's current attempt; its upload is refused`);
  }
  if (job.result !== null) throw new FerryError(ErrorCode.Conflict, 'this attempt already uploaded its result');
}
