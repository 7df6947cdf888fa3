import { Injectable } from '@nestjs/common';
import { isFinalState, summarize, type JobEvent, type JobSummary } from '@ferry/contracts';
import { NatsLink } from '../nats/nats-link.js';

export type EventSink = {
  readonly event: (type: JobEvent['type'], id: number, job: JobSummary) => void;
  readonly comment: (text: string) => void;
};

export interface StreamEventsOptions {
  readonly tenant: string;
  readonly jobId: string;
  /** `Last-Event-ID` of a reconnecting client. */
  readonly lastEventId: number | undefined;
  readonly heartbeatMs: number;
  readonly signal: AbortSignal;
}

/**
 * The SSE conversation for one job: the current record first (unless resuming), then each event
 * from the events stream after it, ending after the final state. Each heartbeat also rereads the
 * record, so a final state whose event was never published still ends the stream.
 */
@Injectable()
export class JobEventsService {
  constructor(private readonly nats: NatsLink) {}

  /** Whether there is anything to send: `false` for a resume of a job that is final and fully sent. */
  async hasMore(tenant: string, jobId: string, lastEventId: number | undefined): Promise<boolean> {
    const stores = this.nats.stores();
    const { job } = await stores.jobs.require(tenant, jobId);
    if (lastEventId === undefined || !isFinalState(job.state)) return true;
    return (await stores.events.lastSequence(tenant, jobId)) > lastEventId;
  }

  async stream(sink: EventSink, options: StreamEventsOptions): Promise<void> {
    const stores = this.nats.stores();
    const { tenant, jobId, signal } = options;
    const resumeFrom = await this.resumePoint(options.lastEventId);
    let sentUpdatedAt = '';
    let finished = false;
    const send = (type: JobEvent['type'], id: number, job: JobSummary): void => {
      sink.event(type, id, job);
      sentUpdatedAt = job.updatedAt;
      if (type === 'state' && isFinalState(job.state)) finished = true;
    };

    let after = resumeFrom;
    if (after === undefined) {
      after = await stores.events.lastSequence(tenant, jobId);
      send('state', after, summarize((await stores.jobs.require(tenant, jobId)).job));
      if (finished) return;
    }

    const follower = new AbortController();
    const stop = (): void => follower.abort();
    if (signal.aborted) return;
    signal.addEventListener('abort', stop, { once: true });
    const heartbeat = setInterval(() => {
      sink.comment('keep-alive');
      void stores.jobs
        .get(tenant, jobId)
        .then((stored) => {
          if (stored !== undefined && isFinalState(stored.job.state) && !finished) {
            send('state', after ?? 0, summarize(stored.job));
            stop();
          }
        })
        .catch(() => undefined);
    }, options.heartbeatMs);
    try {
      for await (const { sequence, event } of stores.events.follow(tenant, jobId, after, follower.signal)) {
        after = sequence;
        // The snapshot may already be newer than an event published just before it was read.
        if (event.job.updatedAt < sentUpdatedAt) continue;
        send(event.type, sequence, event.job);
        if (finished) return;
      }
    } finally {
      clearInterval(heartbeat);
      signal.removeEventListener('abort', stop);
    }
  }

  /** A resume point still in the stream, or `undefined` when the client must start from the snapshot. */
  private async resumePoint(lastEventId: number | undefined): Promise<number | undefined> {
    if (lastEventId === undefined) return undefined;
    const first = await this.nats.stores().events.firstSequence();
    // 0 asks for everything the stream still holds, however much of its start has rotated away.
    if (lastEventId === 0) return Math.max(0, first - 1);
    return lastEventId + 1 >= first ? lastEventId : undefined;
  }
}
