import type { ServerResponse } from 'node:http';

/** One line of a container log as the kubelet keeps it: its timestamp (RFC3339Nano) and text. */
export interface FakeLogLine {
  readonly at: string;
  readonly text: string;
}

interface PodLog {
  readonly lines: FakeLogLine[];
  ended: boolean;
  readonly streams: Set<ServerResponse>;
}

/**
 * Container logs behind `GET …/pods/<pod>/log`, served like the kubelet does with
 * `timestamps=true`: `<timestamp> <text>\n`, from `sinceTime` inclusive (whole seconds, compared
 * with each line's full timestamp), held open while `follow=true` and the container runs.
 */
export class FakePodLogs {
  readonly #logs = new Map<string, PodLog>();
  readonly #notReady = new Set<string>();

  has(pod: string): boolean {
    return this.#logs.has(pod);
  }

  /** Until `append`, a log request for this pod answers 400 like a container still waiting to start. */
  markNotReady(pod: string): void {
    this.#notReady.add(pod);
  }

  isNotReady(pod: string): boolean {
    return this.#notReady.has(pod);
  }

  append(pod: string, ...lines: FakeLogLine[]): void {
    this.#notReady.delete(pod);
    const log = this.log(pod);
    log.lines.push(...lines);
    for (const stream of log.streams) for (const line of lines) stream.write(format(line));
  }

  /** The container exited: open follow streams end cleanly. */
  end(pod: string): void {
    const log = this.log(pod);
    log.ended = true;
    for (const stream of log.streams) stream.end();
    log.streams.clear();
  }

  /** Breaks every open stream of this pod's log mid-way (optionally after a partial line). */
  drop(pod: string, partial?: string): void {
    const log = this.log(pod);
    for (const stream of log.streams) {
      if (partial !== undefined) stream.write(partial);
      // Let the partial bytes leave before the socket is cut.
      setTimeout(() => stream.socket?.destroy(), 20);
    }
    log.streams.clear();
  }

  openStreams(pod: string): number {
    return this.#logs.get(pod)?.streams.size ?? 0;
  }

  serve(pod: string, query: URLSearchParams, response: ServerResponse): void {
    const log = this.log(pod);
    const since = query.get('sinceTime');
    const sinceNanos = since === null ? undefined : nanos(since);
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.flushHeaders();
    for (const line of log.lines) {
      if (sinceNanos === undefined || nanos(line.at) >= sinceNanos) response.write(format(line));
    }
    if (query.get('follow') !== 'true' || log.ended) {
      response.end();
      return;
    }
    log.streams.add(response);
    response.once('close', () => log.streams.delete(response));
  }

  closeAll(): void {
    for (const log of this.#logs.values()) for (const stream of log.streams) stream.socket?.destroy();
  }

  private log(pod: string): PodLog {
    let log = this.#logs.get(pod);
    if (log === undefined) {
      log = { lines: [], ended: false, streams: new Set() };
      this.#logs.set(pod, log);
    }
    return log;
  }
}

function format(line: FakeLogLine): string {
  return `${line.at} ${line.text}\n`;
}

/** RFC 3339 with up to nine fraction digits, as nanoseconds since the epoch. */
export function nanos(stamp: string): bigint {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(stamp);
  if (match === null) throw new Error(`not an RFC 3339 time: ${stamp}`);
  return BigInt(Date.parse(`${match[1]}${match[3]}`)) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}
