import { createWriteStream } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { urlToHttpOptions } from 'node:url';
import { permanent, RunnerFailure, RunnerReason, transient } from '../runner.failure.js';
import { formatBytes, sizeLimit } from '../support/size-limit.js';
import { guardedLookup, refusedConnection } from './guarded-lookup.js';
import { parseIpAddress } from '@ferry/source-policy';
import type { SourcePolicy } from '@ferry/source-policy';

export const MAX_REDIRECTS = 5;
const IDLE_TIMEOUT_MS = 30_000;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** TLS failures a retry in a few seconds will not fix. */
const CERTIFICATE_ERRORS = /^(CERT_|ERR_TLS_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_)/;

export interface HttpFetchOptions {
  readonly policy: SourcePolicy;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  readonly idleTimeoutMs?: number;
}

export interface HttpFetchResult {
  readonly bytes: number;
  readonly redirects: number;
}

/**
 * Downloads `url` to `destination` (a new file), following up to five redirects by hand so that
 * every hop is checked against the source policy like the first one.
 */
export async function fetchHttpSource(url: URL, destination: string, options: HttpFetchOptions): Promise<HttpFetchResult> {
  let current = url;
  for (let redirects = 0; ; redirects += 1) {
    const response = await openResponse(current, options);
    const status = response.statusCode ?? 0;
    if (REDIRECTS.has(status)) {
      response.resume();
      current = nextHop(current, response.headers.location, redirects);
      continue;
    }
    if (status < 200 || status > 299) {
      response.resume();
      throw statusFailure(status, current);
    }
    const declared = Number(response.headers['content-length'] ?? Number.NaN);
    if (declared > options.maxBytes) {
      response.destroy();
      throw tooLarge(current, options.maxBytes);
    }
    const limit = sizeLimit(options.maxBytes, () => tooLarge(current, options.maxBytes));
    try {
      await pipeline(response, limit, createWriteStream(destination, { flags: 'wx', mode: 0o600 }), { signal: options.signal });
    } catch (error) {
      throw fetchFailure(error, current);
    }
    return { bytes: limit.bytes, redirects };
  }
}

/** A source answer that is not 2xx or a redirect: 4xx is the request's fault, 5xx the server's. */
export function statusFailure(status: number, url: URL): RunnerFailure {
  const message = `source ${redact(url)} answered HTTP ${status}`;
  // 408 and 429 are 4xx but say "try again later", as 5xx does.
  if (status >= 500 || status === 408 || status === 429) return transient(RunnerReason.SourceUnreachable, message);
  return permanent(RunnerReason.SourceUnavailable, message);
}

/** Network trouble is transient; a refusal or a bad certificate is not. */
export function fetchFailure(error: unknown, url: URL): RunnerFailure {
  if (error instanceof RunnerFailure) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && CERTIFICATE_ERRORS.test(code)) {
    return permanent(RunnerReason.SourceUnavailable, `source ${redact(url)}: TLS certificate not accepted (${code})`, error);
  }
  return transient(RunnerReason.SourceUnreachable, `source ${redact(url)} unreachable: ${detail}`, error);
}

/** The URL without credentials or query, for messages. */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function nextHop(from: URL, location: string | undefined, redirects: number): URL {
  if (redirects >= MAX_REDIRECTS) throw permanent(RunnerReason.SourceUnavailable, `source ${redact(from)}: more than ${MAX_REDIRECTS} redirects`);
  const next = location === undefined ? null : URL.parse(location, from.href);
  if (!next) throw permanent(RunnerReason.SourceUnavailable, `source ${redact(from)} redirected without a valid Location`);
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw permanent(RunnerReason.SourceRefused, `source ${redact(from)} redirected to ${next.protocol} URL, only http(s) redirects are followed`);
  }
  return next;
}

function openResponse(url: URL, options: HttpFetchOptions): Promise<IncomingMessage> {
  // An IP-literal host connects without a lookup, so the guarded lookup never sees it.
  const literal = parseIpAddress(url.hostname);
  if (literal) {
    const verdict = options.policy.check(literal.text);
    if (!verdict.allowed) return Promise.reject(refusedConnection(literal.text, verdict.address, verdict.why));
  }
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        ...urlToHttpOptions(url),
        method: 'GET',
        // A fresh connection per hop: a pooled socket would skip the lookup and its check.
        agent: false,
        lookup: guardedLookup(options.policy),
        timeout: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
        signal: options.signal,
        headers: { accept: '*/*', 'user-agent': 'ferry-runner' },
      },
      resolve,
    );
    request.on('socket', (socket: Socket) => verifyPeer(socket, url, options.policy, (error) => request.destroy(error)));
    request.on('timeout', () => request.destroy(transient(RunnerReason.SourceUnreachable, `source ${redact(url)}: no data for ${options.idleTimeoutMs ?? IDLE_TIMEOUT_MS} ms`)));
    request.on('error', (error) => reject(fetchFailure(error, url)));
    request.end();
  });
}

/** Belt and braces: whatever path led to the connection, its peer must pass the policy too. */
function verifyPeer(socket: Socket, url: URL, policy: SourcePolicy, fail: (error: Error) => void): void {
  const check = (): void => {
    const peer = socket.remoteAddress;
    if (peer === undefined) return;
    const verdict = policy.check(peer);
    if (!verdict.allowed) fail(refusedConnection(url.hostname, verdict.address, verdict.why));
  };
  if (socket.remoteAddress !== undefined && !socket.connecting) check();
  else socket.once('connect', check);
}

function tooLarge(url: URL, maxBytes: number): RunnerFailure {
  return permanent(RunnerReason.SourceTooLarge, `source ${redact(url)} is larger than the ${formatBytes(maxBytes)} left of FERRY_SOURCE_MAX_BYTES`);
}
