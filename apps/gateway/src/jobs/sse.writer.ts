import type { ServerResponse } from 'node:http';
import type { Job } from '@ferry/contracts';

/** Writes Server-Sent Events frames to a raw response (DESIGN §4: `event`, `id`, `data`). */
export class SseWriter {
  constructor(private readonly response: ServerResponse) {}

  start(): void {
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
  }

  event(type: 'state' | 'progress', id: number, job: Job): void {
    this.response.write(`event: ${type}\nid: ${id}\ndata: ${JSON.stringify(job)}\n\n`);
  }

  comment(text: string): void {
    this.response.write(`: ${text}\n\n`);
  }

  end(): void {
    if (!this.response.writableEnded) this.response.end();
  }
}
