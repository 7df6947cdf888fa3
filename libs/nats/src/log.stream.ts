import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { jobSubject, parseLogEntry, type LogEntry } from '@ferry/contracts';
import { toDomainError } from './nats-errors.js';
import type { NatsTopology } from './nats.config.js';

export interface ReadLogsOptions {
  /** Keep reading new lines until `isFinished` says the job is final and every line is read. */
  readonly follow: boolean;
  readonly isFinished: () => Promise<boolean>;
  readonly signal: AbortSignal;
  /** How often a follower asks `isFinished` (ms). */
  readonly pollMs?: number;
}

const encoder = new TextEncoder();

/** The logs stream: `ferry.logs.<tenant>.<id>`, one message per line, kept after the process or pod is gone. */
export class JobLogStream {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly topology: NatsTopology,
  ) {}

  async append(tenant: string, jobId: string, entry: LogEntry, msgID?: string): Promise<void> {
    try {
      await this.js.publish(this.subject(tenant, jobId), encoder.encode(JSON.stringify(entry)), msgID === undefined ? {} : { msgID });
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** Yields a job's log lines from the first; without `follow`, stops at the last line stored now. */
  async *read(tenant: string, jobId: string, options: ReadLogsOptions): AsyncGenerator<LogEntry> {
    const subject = this.subject(tenant, jobId);
    const lastNow = await this.lastSequence(subject);
    if (!options.follow && lastNow === 0) return;
    const consumer = await this.js.consumers.get(this.topology.logsStream, {
      filter_subjects: subject,
      deliver_policy: DeliverPolicy.All,
    });
    const messages = await consumer.consume();
    let delivered = 0;
    const stop = (): void => void messages.stop();
    // The signal may have fired while the consumer was being created; a listener added now never would.
    if (options.signal.aborted) stop();
    options.signal.addEventListener('abort', stop, { once: true });
    // A follower ends once the job is final and it has read up to the last line stored.
    const timer = options.follow
      ? setInterval(() => {
          void (async () => {
            if ((await options.isFinished()) && (await this.lastSequence(subject)) <= delivered) stop();
          })().catch(() => undefined);
        }, options.pollMs ?? 500)
      : undefined;
    try {
      for await (const message of messages) {
        delivered = message.seq;
        yield parseLogEntry(message.json());
        if (!options.follow && message.seq >= lastNow) return;
      }
    } finally {
      clearInterval(timer);
      options.signal.removeEventListener('abort', stop);
      await messages.close().catch(() => undefined);
      // An ordered consumer outlives its reader on the server for its inactive threshold (5 min): delete it now.
      await consumer.delete().catch(() => undefined);
    }
  }

  private async lastSequence(subject: string): Promise<number> {
    try {
      const message = await this.jsm.streams.getMessage(this.topology.logsStream, { last_by_subj: subject });
      return message?.seq ?? 0;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  private subject(tenant: string, jobId: string): string {
    return jobSubject('logs', tenant, jobId, this.topology.subjectPrefix);
  }
}
