import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { fromHttpStatus, toKubernetesError, type KubernetesApiError } from './kubernetes-errors.js';

export interface PodLogRequest {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  /** RFC 3339: replay from this second, inclusive. */
  readonly sinceTime: string | undefined;
}

/** Error bodies are short `Status` objects; read no more than this of one. */
const MAX_ERROR_BODY = 64 * 1024;

/**
 * Opens `GET /api/v1/namespaces/{ns}/pods/{pod}/log?container=…&follow=true&timestamps=true` and
 * returns the body as text chunks: iterating it ends when the server ends the stream and throws when
 * the connection drops. Not client-node's `Log` class: it pipes the response into a writable without
 * an error handler, so a dropped log connection there is an uncaught exception (client-node 2.0.1),
 * and a clean end and a drop look the same. The connection uses the KubeConfig's own TLS and
 * credentials (`applyToHTTPSOptions`).
 */
export async function openPodLog(kubeConfig: KubeConfig, request: PodLogRequest, signal: AbortSignal): Promise<AsyncIterable<string>> {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('kubeconfig has no current cluster');
  const url = new URL(`${cluster.server.replace(/\/$/, '')}/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}/log`);
  url.searchParams.set('container', request.container);
  url.searchParams.set('follow', 'true');
  url.searchParams.set('timestamps', 'true');
  if (request.sinceTime !== undefined) url.searchParams.set('sinceTime', request.sinceTime);
  // As kubectl asks: the API server refuses `Accept: text/plain` for pods/log with 406 (found against
  // a real v1.36 API server) and streams the plain log for any of these.
  const options: https.RequestOptions = { method: 'GET', headers: { Accept: 'application/json, */*' } };
  await kubeConfig.applyToHTTPSOptions(options);
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const outgoing = client.request(url, { ...options, signal }, resolve);
    outgoing.once('error', reject);
    outgoing.end();
  }).catch((error: unknown) => {
    throw toKubernetesError(error, `log of pod ${request.pod}`);
  });
  response.setEncoding('utf8');
  if (response.statusCode !== 200) throw await failure(response, request.pod);
  return response;
}

async function failure(response: http.IncomingMessage, pod: string): Promise<KubernetesApiError> {
  let body = '';
  try {
    for await (const chunk of response as AsyncIterable<string>) {
      body += chunk;
      if (body.length > MAX_ERROR_BODY) break;
    }
  } catch {
    // The status code says enough.
  }
  response.destroy();
  return fromHttpStatus(response.statusCode ?? 0, body, `log of pod ${pod}`);
}
