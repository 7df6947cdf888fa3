/** One line of a pod log read with `timestamps=true`: `<RFC3339Nano> <text>`. */
export interface TimestampedLine {
  /** The runtime's timestamp in nanoseconds since the epoch (kept exact: RFC3339Nano drops trailing zeros). */
  readonly nanos: bigint | undefined;
  readonly text: string;
}

const STAMPED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) ?/;

export function parseTimestampedLine(raw: string): TimestampedLine {
  const match = STAMPED.exec(raw);
  const seconds = match === null ? Number.NaN : Date.parse(`${match[1]}${match[3]}`);
  if (match === null || Number.isNaN(seconds)) return { nanos: undefined, text: raw };
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return { nanos: (BigInt(seconds) / 1000n) * 1_000_000_000n + fraction, text: raw.slice(match[0].length) };
}

/** The line's time as an ISO string (milliseconds), or undefined when it carried none. */
export function lineTime(line: TimestampedLine): string | undefined {
  return line.nanos === undefined ? undefined : new Date(Number(line.nanos / 1_000_000n)).toISOString();
}

/**
 * Where a pod's log was read up to, so that a reconnect neither repeats nor loses a line.
 *
 * The API resumes at `sinceTime`, inclusive and in whole seconds (a `metav1.Time`), so a reconnect
 * replays every line of the last second already read. The cursor skips that replay: lines stamped before the last delivered one, and as
 * many lines stamped exactly like it as were delivered (two lines may share a timestamp). Only the
 * replayed prefix of a connection is compared; once a line is new, everything after it is too, so a
 * runtime whose stamps step back a little cannot make us drop a line.
 */
export class LogCursor {
  /** The newest timestamp delivered (a maximum: a runtime's stamps may step back a little). */
  #lastNanos: bigint | undefined;
  #deliveredAtLast = 0;
  #replayedAtLast = 0;
  #catchingUp = false;
  #delivered = 0;

  /** Lines delivered so far: the next one's number is this plus one (stable across reconnects). */
  get delivered(): number {
    return this.#delivered;
  }

  /** `sinceTime` for the next request: the last delivered line's second; undefined from the start. */
  get sinceTime(): string | undefined {
    if (this.#lastNanos === undefined) return undefined;
    const seconds = this.#lastNanos / 1_000_000_000n;
    return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** A new connection starts: it replays from `sinceTime`. */
  reconnect(): void {
    this.#replayedAtLast = 0;
    this.#catchingUp = this.#lastNanos !== undefined;
  }

  /** Whether this line is new (deliver it, then call `advance`) or a replay of one delivered before. */
  isNew(line: TimestampedLine): boolean {
    if (!this.#catchingUp || line.nanos === undefined || this.#lastNanos === undefined) return true;
    if (line.nanos < this.#lastNanos) return false;
    if (line.nanos === this.#lastNanos) {
      this.#replayedAtLast += 1;
      if (this.#replayedAtLast <= this.#deliveredAtLast) return false;
    }
    this.#catchingUp = false;
    return true;
  }

  /** Records a line as delivered (only after the sink took it, so a failed delivery is read again). */
  advance(line: TimestampedLine): void {
    this.#delivered += 1;
    if (line.nanos === undefined) return;
    if (line.nanos === this.#lastNanos) {
      this.#deliveredAtLast += 1;
    } else if (this.#lastNanos === undefined || line.nanos > this.#lastNanos) {
      this.#lastNanos = line.nanos;
      this.#deliveredAtLast = 1;
    }
  }
}
