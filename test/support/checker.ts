import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Api } from './api.ts';
import { isFinal } from './system.ts';

const STATE_RANK: Record<string, number> = { queued: 0, starting: 1, running: 2, succeeded: 3, failed: 3, cancelled: 3 };

export interface CheckerReport {
  readonly accepted: number;
  readonly final: number;
  readonly lost: number;
  /** Ran to completion twice: more than one `succeeded`, or one attempt started twice. */
  readonly duplicated: number;
  /** A state event behind the one before it, in `(attempt, state)` order. */
  readonly regressed: number;
  readonly unknown: number;
  readonly states: Record<string, number>;
}

/**
 * A queue checker in the manner of Jepsen's: every acknowledged submission must reach exactly one
 * final state, and the history of each job in the events stream must only move forward.
 */
export async function checkJobs(api: Api, natsUrl: string, accepted: readonly string[], timeoutMs: number): Promise<CheckerReport> {
  const finals = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  while (finals.size < accepted.length && Date.now() < deadline) {
    for (const id of accepted.filter((candidate) => !finals.has(candidate))) {
      const job = (await api.get<{ state: string }>(`/v1/jobs/${id}`)).body;
      if (isFinal(job)) finals.set(id, job.state);
    }
    if (finals.size < accepted.length) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const history = await stateHistory(natsUrl);
  let duplicated = 0;
  let regressed = 0;
  for (const id of accepted) {
    const events = history.get(id) ?? [];
    const starts = events.filter((event) => event.state === 'starting').map((event) => event.attempt);
    if (events.filter((event) => event.state === 'succeeded').length > 1 || new Set(starts).size !== starts.length) duplicated += 1;
    for (let index = 1; index < events.length; index += 1) {
      const before = events[index - 1];
      const after = events[index];
      if (before === undefined || after === undefined) continue;
      if (after.attempt < before.attempt || (after.attempt === before.attempt && (STATE_RANK[after.state] ?? 0) < (STATE_RANK[before.state] ?? 0))) {
        regressed += 1;
      }
    }
  }
  const states: Record<string, number> = {};
  for (const state of finals.values()) states[state] = (states[state] ?? 0) + 1;
  return { accepted: accepted.length, final: finals.size, lost: accepted.length - finals.size, duplicated, regressed, unknown: 0, states };
}

/** Every state event the stream holds, per job, in stream order (duplicates of one revision are stored once). */
async function stateHistory(natsUrl: string): Promise<Map<string, Array<{ state: string; attempt: number }>>> {
  const connection = await connect({ servers: natsUrl });
  const consumer = await jetstream(connection).consumers.get('FERRY_EVENTS', { filter_subjects: 'ferry.events.>', deliver_policy: DeliverPolicy.All });
  const history = new Map<string, Array<{ state: string; attempt: number }>>();
  const messages = await consumer.fetch({ max_messages: 1_000_000, expires: 2_000 });
  for await (const message of messages) {
    const event = message.json<{ type: string; job: { id: string; state: string; attempt: number } }>();
    if (event.type === 'state') {
      const list = history.get(event.job.id) ?? [];
      const last = list.at(-1);
      // The same state written twice (an annotation: reason, queue position) is not a move.
      if (last?.state !== event.job.state || last.attempt !== event.job.attempt) list.push({ state: event.job.state, attempt: event.job.attempt });
      history.set(event.job.id, list);
    }
    if (message.info.pending === 0) break;
  }
  await connection.drain();
  return history;
}
