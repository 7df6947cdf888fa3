import { setTimeout as sleep } from 'node:timers/promises';
import { parseRunnerLine, type RunnerLine } from '@ferry/contracts';
import { KubernetesErrorKind, toKubernetesError, type KubernetesApiError } from './kubernetes-errors.js';
import { LogCursor, lineTime, parseTimestampedLine } from './log-cursor.js';

/** Where the pod stands in the informer cache. */
export type PodLogState = 'running' | 'terminated' | 'gone';

export interface PodLogFollowerDeps {
  /** Opens the log stream from `sinceTime` (inclusive); undefined reads from the first line. */
  readonly open: (sinceTime: string | undefined, signal: AbortSignal) => Promise<AsyncIterable<string>>;
  readonly podState: () => PodLogState;
  /** One new line, in order; `lineNumber` counts the pod's lines from 1, the same on every read. */
  readonly onLine: (line: RunnerLine, at: string, lineNumber: number) => Promise<void>;
  /** A read failed and will be retried (logged by the caller). */
  readonly onRetry: (error: KubernetesApiError) => void;
  readonly retryMs: number;
}

/** The longest wait between two reads of a log that keeps failing. */
const MAX_RETRY_MS = 30_000;

/**
 * Follows one pod's `job` container log to its end, exactly once: every line goes to `onLine` in
 * order, none twice, none lost across dropped connections (the cursor resumes at `sinceTime` and
 * skips the replay). A line counts as read only once `onLine` resolved, so a sink that fails
 * (NATS down) makes the follower read that line again later instead of dropping it.
 *
 * The log ends when the stream ends cleanly while the pod is terminated (or gone); a stream that
 * ends while the cache still shows the pod running (the kubelet closed it, or our cache lags) is
 * read on from the cursor. A 404 means the pod is gone: nothing more can be read.
 */
export class PodLogFollower {
  readonly #cursor = new LogCursor();
  readonly #abort = new AbortController();
  readonly #deps: PodLogFollowerDeps;
  #failures = 0;

  constructor(deps: PodLogFollowerDeps) {
    this.#deps = deps;
  }

  /** Lines delivered so far. */
  get delivered(): number {
    return this.#cursor.delivered;
  }

  stop(): void {
    this.#abort.abort();
  }

  /** Resolves once the log was read to its end, the pod vanished, or `stop` was called. */
  async run(): Promise<void> {
    const { signal } = this.#abort;
    while (!signal.aborted) {
      const outcome = await this.readOnce(signal);
      if (outcome === 'ended') return;
      this.#failures = outcome === 'reopen' ? 0 : this.#failures + 1;
      const delay = Math.min(this.#deps.retryMs * 2 ** Math.max(0, this.#failures - 1), MAX_RETRY_MS);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }

  private async readOnce(signal: AbortSignal): Promise<'ended' | 'reopen' | 'retry'> {
    this.#cursor.reconnect();
    let pending = '';
    try {
      const chunks = await this.#deps.open(this.#cursor.sinceTime, signal);
      for await (const chunk of chunks) {
        pending += chunk;
        for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
          const raw = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          await this.deliver(raw);
        }
      }
    } catch (error) {
      if (signal.aborted) return 'ended';
      const failure = toKubernetesError(error, 'follow pod log');
      if (failure.kind === KubernetesErrorKind.NotFound) return 'ended';
      this.#deps.onRetry(failure);
      // A partial last line is dropped here: it is stamped after the cursor, so the next read has it whole.
      return 'retry';
    }
    if (this.#deps.podState() === 'running') return 'reopen';
    // The container is done: a last line without a newline is still a line.
    if (pending !== '') {
      try {
        await this.deliver(pending);
      } catch (error) {
        this.#deps.onRetry(toKubernetesError(error, 'deliver pod log line'));
        return 'retry';
      }
    }
    return 'ended';
  }

  private async deliver(raw: string): Promise<void> {
    const line = parseTimestampedLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    if (!this.#cursor.isNew(line)) return;
    await this.#deps.onLine(parseRunnerLine(line.text), lineTime(line) ?? new Date().toISOString(), this.#cursor.delivered + 1);
    this.#cursor.advance(line);
    this.#failures = 0;
  }
}
