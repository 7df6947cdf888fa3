import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { isFinalState, jobSubject, parseJobEvent, summarize, type Job, type JobEvent, type JobSummary } from '@ferry/contracts';
import { toDomainError } from './nats-errors.js';
import type { NatsTopology } from './nats.config.js';

export interface SequencedEvent {
  readonly sequence: number;
  /** The event with the job summarized, whatever release wrote it. */
  readonly event: Omit<JobEvent, 'job'> & { readonly job: JobSummary };
}

const encoder = new TextEncoder();

/**
 * The events stream: `ferry.events.<tenant>.<id>`, one message per state or progress change.
 * Publishes carry `Nats-Msg-Id = <id>:<revision>`, so a writer that retries a publish after a
 * timeout stores the event once.
 */
export class JobEventStream {
  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly topology: NatsTopology,
  ) {}

  /** Publishes the job without its params: watchers need state and progress, and events stay small. */
  async publish(type: JobEvent['type'], job: Job, revision: number, now: Date = new Date()): Promise<number> {
    const event: JobEvent = { type, job: summarize(job), at: now.toISOString() };
    try {
      const ack = await this.js.publish(this.subject(job.tenant, job.id), encoder.encode(JSON.stringify(event)), {
        msgID: `${job.id}:${revision}`,
      });
      return ack.seq;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** The sequence of the newest event of a job, or the stream's last sequence when it has none. */
  async lastSequence(tenant: string, jobId: string): Promise<number> {
    try {
      const message = await this.jsm.streams.getMessage(this.topology.eventsStream, { last_by_subj: this.subject(tenant, jobId) });
      if (message !== null) return message.seq;
      const info = await this.jsm.streams.info(this.topology.eventsStream);
      return info.state.last_seq;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** The stream's first retained sequence: a resume point before it has expired. */
  async firstSequence(): Promise<number> {
    try {
      const info = await this.jsm.streams.info(this.topology.eventsStream);
      return info.state.first_seq;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /**
   * Yields a job's events with a sequence above `afterSequence`, as they arrive, until the job is
   * final or `signal` aborts. An ordered consumer, deleted when the reader stops: no state on the server outlives it.
   */
  async *follow(tenant: string, jobId: string, afterSequence: number, signal: AbortSignal): AsyncGenerator<SequencedEvent> {
    const consumer = await this.js.consumers.get(this.topology.eventsStream, {
      filter_subjects: this.subject(tenant, jobId),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: afterSequence + 1,
    });
    const messages = await consumer.consume();
    const stop = (): void => void messages.stop();
    // The signal may have fired while the consumer was being created; a listener added now never would.
    if (signal.aborted) stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const message of messages) {
        const parsed = parseJobEvent(message.json());
        const event = { ...parsed, job: summarize(parsed.job) };
        yield { sequence: message.seq, event };
        if (event.type === 'state' && isFinalState(event.job.state)) return;
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await messages.close().catch(() => undefined);
      // An ordered consumer outlives its reader on the server for its inactive threshold (5 min): delete it now.
      await consumer.delete().catch(() => undefined);
    }
  }

  private subject(tenant: string, jobId: string): string {
    return jobSubject('events', tenant, jobId, this.topology.subjectPrefix);
  }
}
