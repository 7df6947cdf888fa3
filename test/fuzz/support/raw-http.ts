import { connect, type Socket } from 'node:net';
import { problemViolation } from './problem.ts';

/** One HTTP/1.1 answer as it came off the wire. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A socket to the gateway, for requests `fetch` will not send (raw bytes, lies about lengths, no reading). */
export function openSocket(baseUrl: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Writes `request` (which should say `Connection: close`) and reads the answer until the gateway
 * closes the connection. A reset after the answer is fine: the gateway may close before reading all.
 */
export async function exchange(baseUrl: string, request: Buffer | string, timeoutMs = 10_000): Promise<RawResponse> {
  const socket = await openSocket(baseUrl);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer in ${timeoutMs} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(request, () => undefined);
  });
  return parseResponse(Buffer.concat(chunks));
}

/** Builds a request with `Connection: close`; header values may hold any bytes. */
export function rawRequest(method: string, path: Buffer | string, headers: Record<string, Buffer | string>, body?: Buffer | string): Buffer {
  const lines: Buffer[] = [Buffer.concat([Buffer.from(`${method} `), Buffer.from(path), Buffer.from(' HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n')])];
  const all = body === undefined ? headers : { 'Content-Length': String(Buffer.byteLength(body)), ...headers };
  for (const [name, value] of Object.entries(all)) lines.push(Buffer.concat([Buffer.from(`${name}: `), Buffer.from(value), Buffer.from('\r\n')]));
  lines.push(Buffer.from('\r\n'));
  if (body !== undefined) lines.push(Buffer.from(body));
  return Buffer.concat(lines);
}

export function parseResponse(raw: Buffer): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`not an HTTP answer: ${JSON.stringify(text.slice(0, 300))}`);
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const status = /^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) throw new Error(`not an HTTP status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bytes = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const length = headers['content-length'];
  const body = (length === undefined ? bytes : bytes.subarray(0, Number(length))).toString('utf8');
  return { status: Number(status), headers, body };
}

/** The answer is the given 4xx status and a well-formed problem document (with the given code, if named). */
export function expectProblem(response: RawResponse | { status: number; headers: Headers; text: string }, status: number, code?: string): void {
  const contentType = response.headers instanceof Headers ? response.headers.get('content-type') : response.headers['content-type'];
  const body = 'text' in response ? response.text : response.body;
  expect(response.status, body).toBe(status);
  expect(problemViolation(response.status, contentType, body)).toBeUndefined();
  if (code !== undefined) expect(JSON.parse(body)).toMatchObject({ type: `urn:ferry:problem:${code}` });
}
