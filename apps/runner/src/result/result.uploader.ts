import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { errorMessage, permanent, RunnerFailure, RunnerReason, transient } from '../runner.failure.js';
import { formatBytes } from '../support/size-limit.js';

const IDLE_TIMEOUT_MS = 60_000;
/** Enough of an error answer to say why, not so much that a log line balloons. */
const ANSWER_EXCERPT_CHARS = 300;

export interface ResultUpload {
  /** FERRY_RESULT_URL and FERRY_RESULT_TOKEN: valid for this job attempt alone. */
  readonly url: URL;
  readonly token: string;
  readonly file: string;
  readonly contentType: string;
  readonly rows: number;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  readonly idleTimeoutMs?: number;
}

/**
 * The gateway's answer to the upload, as an outcome: 2xx stored; 507 for the tenant's bytes quota
 * will not pass on a retry of this attempt; a 507 for a full shared store, other 5xx, 408 and 429 may;
 * any other answer (401/403 a bad or stale token, 404 no such attempt, 409 a stale attempt, 413
 * too large, 422 refused) will not.
 */
export function uploadStatusFailure(status: number, answer: string): RunnerFailure | undefined {
  if (status >= 200 && status <= 299) return undefined;
  const message = `the gateway answered the result upload with HTTP ${status}${answer === '' ? '' : `: ${answer}`}`;
  // A full shared store (storage_full) frees up as retention runs; the tenant's own quota does not soon.
  if (status === 507 && answer.includes('urn:ferry:problem:storage_full')) return transient(RunnerReason.ResultUploadFailed, message);
  if (status === 507) return permanent(RunnerReason.QuotaExceeded, message);
  if (status >= 500 || status === 408 || status === 429) return transient(RunnerReason.ResultUploadFailed, message);
  return permanent(RunnerReason.ResultRefused, message);
}

/** One `PUT` of the result file, streamed, with its size, type and row count; resolves to its size. */
export async function uploadResult(upload: ResultUpload): Promise<number> {
  const { size } = await stat(upload.file);
  if (size > upload.maxBytes) {
    throw permanent(
      RunnerReason.ResultTooLarge,
      `the result is ${formatBytes(size)}, over FERRY_RESULT_MAX_BYTES (${formatBytes(upload.maxBytes)}); select fewer rows or columns`,
    );
  }
  const response = await put(upload, size);
  const answer = await readExcerpt(response);
  const failure = uploadStatusFailure(response.statusCode ?? 0, answer);
  if (failure) throw failure;
  return size;
}

function put(upload: ResultUpload, size: number): Promise<IncomingMessage> {
  const client = upload.url.protocol === 'https:' ? https : http;
  const idleTimeoutMs = upload.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const unreachable = (error: unknown): RunnerFailure =>
      error instanceof RunnerFailure ? error : transient(RunnerReason.ResultUploadFailed, `result upload to ${upload.url.origin} failed: ${errorMessage(error)}`, error);
    const request = client.request(
      upload.url,
      {
        method: 'PUT',
        agent: false,
        timeout: idleTimeoutMs,
        signal: upload.signal,
        headers: {
          authorization: `Bearer ${upload.token}`,
          'content-type': upload.contentType,
          'content-length': String(size),
          'ferry-result-rows': String(upload.rows),
        },
      },
      resolve,
    );
    request.on('timeout', () => request.destroy(transient(RunnerReason.ResultUploadFailed, `result upload to ${upload.url.origin}: no progress for ${idleTimeoutMs} ms`)));
    request.on('error', (error) => reject(unreachable(error)));
    // The gateway may answer (409, 413) before reading the whole body; that answer is what counts.
    pipeline(createReadStream(upload.file), request).catch(() => undefined);
  });
}

async function readExcerpt(response: IncomingMessage): Promise<string> {
  let text = '';
  try {
    for await (const chunk of response) {
      if (text.length < ANSWER_EXCERPT_CHARS) text += String(chunk);
    }
  } catch {
    // The status is the answer; a body cut short does not change it.
  }
  return text.replace(/\s+/g, ' ').trim().slice(0, ANSWER_EXCERPT_CHARS);
}
