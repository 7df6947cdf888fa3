import type { ServerResponse } from 'node:http';
import type { JobEvent, JobSummary } from '@ferry/contracts';

type EventType = JobEvent['type'];

interface PendingEvent {
  readonly type: EventType;
  readonly id: number;
  readonly frame: string;
}

/**
 * Writes Server-Sent Events frames to a raw response (`event`, `id`, `data`), honouring
 * backpressure: while the socket's buffer is full, each new event replaces the waiting one of its
 * type, so a reader that does not keep up costs at most one buffer and a frame per type, and gets
 * the latest of each when it reads again (a reconnect replays the rest from Last-Event-ID).
 */
export class SseWriter {
  readonly #pending = new Map<EventType, PendingEvent>();
  #blocked = false;

  /** `idOf` turns an event's stream sequence into the `id` the client sees (`EventIds`). */
  constructor(
    private readonly response: ServerResponse,
    private readonly idOf: (sequence: number) => string,
  ) {}

  start(): void {
    this.response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Proxies such as nginx buffer responses unless told not to.
      'x-accel-buffering': 'no',
    });
  }

  event(type: EventType, id: number, job: JobSummary): void {
    const frame = `event: ${type}\nid: ${this.idOf(id)}\ndata: ${JSON.stringify(job)}\n\n`;
    if (this.#blocked) this.#pending.set(type, { type, id, frame });
    else this.write(frame);
  }

  /** A keep-alive matters only to a reader that reads: skipped while the buffer is full. */
  comment(text: string): void {
    if (!this.#blocked) this.write(`: ${text}\n\n`);
  }

  /** Ends the response after whatever is waiting (the final state among it). */
  end(): void {
    if (this.response.writableEnded) return;
    for (const { frame } of this.takePending()) this.response.write(frame);
    this.response.end();
  }

  private write(frame: string): void {
    if (this.response.writableEnded || this.response.destroyed) return;
    if (this.response.write(frame)) return;
    this.#blocked = true;
    this.response.once('drain', () => this.flush());
  }

  private flush(): void {
    this.#blocked = false;
    for (const pending of this.takePending()) {
      // A frame that filled the buffer again leaves the rest waiting for the next drain.
      if (this.#blocked) this.#pending.set(pending.type, pending);
      else this.write(pending.frame);
    }
  }

  /** The waiting frames in stream order, removed from the waiting set. */
  private takePending(): PendingEvent[] {
    const frames = [...this.#pending.values()].sort((a, b) => a.id - b.id);
    this.#pending.clear();
    return frames;
  }
}

