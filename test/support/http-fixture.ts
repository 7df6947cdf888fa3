import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Route {
  readonly status?: number;
  readonly contentType?: string;
  readonly body?: string | Buffer;
  readonly location?: string;
}

/** An HTTP server with fixed routes, for sources that jobs fetch: on loopback unless given a host address. */
export class HttpFixture {
  private readonly server: Server;
  readonly url: string;

  private constructor(server: Server, url: string) {
    this.server = server;
    this.url = url;
  }

  static async start(routes: Record<string, Route>, host = '127.0.0.1'): Promise<HttpFixture> {
    const server = createServer((request, response) => {
      const route = routes[request.url ?? ''];
      if (route === undefined) {
        response.writeHead(404).end('not found');
        return;
      }
      response.writeHead(route.status ?? 200, {
        'content-type': route.contentType ?? 'text/plain',
        ...(route.location === undefined ? {} : { location: route.location }),
      });
      response.end(route.body ?? '');
    });
    await new Promise<void>((resolve) => server.listen(0, host, resolve));
    const { port } = server.address() as AddressInfo;
    return new HttpFixture(server, `http://${host}:${port}`);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
