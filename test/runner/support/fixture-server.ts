import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, body: Buffer, response: ServerResponse) => void;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

/**
 * A loopback HTTP server for runner suites: serves fixtures, redirects, and an upload endpoint;
 * records every request so a test can say what the runner did — and did not — ask for.
 */
export class FixtureServer {
  readonly requests: RecordedRequest[] = [];
  readonly #routes = new Map<string, Handler>();
  readonly #server: Server = createServer((request, response) => this.handle(request, response));
  #port = 0;

  static async start(): Promise<FixtureServer> {
    const fixture = new FixtureServer();
    await new Promise<void>((resolve) => fixture.#server.listen(0, '127.0.0.1', resolve));
    fixture.#port = (fixture.#server.address() as AddressInfo).port;
    return fixture;
  }

  get port(): number {
    return this.#port;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  route(method: string, path: string, handler: Handler): void {
    this.#routes.set(`${method} ${path}`, handler);
  }

  serve(path: string, body: string | Buffer, contentType = 'application/octet-stream'): void {
    this.route('GET', path, (_request, _body, response) => {
      response.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  }

  redirect(path: string, location: string, status = 302): void {
    this.route('GET', path, (_request, _body, response) => {
      response.writeHead(status, { location });
      response.end();
    });
  }

  answer(method: string, path: string, status: number, body = ''): void {
    this.route(method, path, (_request, _body, response) => {
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(body);
    });
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = new URL(request.url ?? '/', 'http://fixture').pathname;
      this.requests.push({ method: request.method ?? '', path, headers: request.headers, body });
      const handler = this.#routes.get(`${request.method} ${path}`);
      if (handler) handler(request, body, response);
      else {
        response.writeHead(404);
        response.end('no such fixture');
      }
    });
  }
}
