import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
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

/** What a client made of one submission, after its own retries. */
export interface SubmissionAnswer {
  /** 200/202; refused: any other HTTP answer; unknown: no answer after every retry. */
  readonly outcome: 'acknowledged' | 'refused' | 'unknown';
  readonly status?: number;
  readonly jobId?: string;
  readonly tries: number;
}

/** One runner exit, as a witness outside Ferry saw it (see test/faults/completion-ledger.hook.ts). */
export interface RunnerExit {
  readonly jobId: string;
  readonly attempt: number;
  readonly code: number;
  readonly at?: string;
}

export interface SubmissionReport {
  readonly submitted: number;
  readonly acknowledged: number;
  readonly refused: number;
  /** Refusals by HTTP status. */
  readonly refusedStatuses: Record<string, number>;
  readonly unknown: number;
  readonly final: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly regressed: number;
  /** Jobs whose runners exited 0 in more than one attempt (by the exit witness). */
  readonly ranTwice: number;
  /** Jobs recorded `succeeded` in an attempt whose runner the witness never saw exit 0. */
  readonly unwitnessed: number;
  readonly states: Record<string, number>;
  /** A few jobs of each anomaly with their state history and runner exits, to diagnose from the CI log. */
  readonly evidence: Evidence[];
}

export interface Evidence {
  readonly anomaly: 'lost' | 'duplicated' | 'regressed' | 'ranTwice' | 'unwitnessed';
  readonly jobId: string;
  readonly history: ReadonlyArray<{ state: string; attempt: number; at: string }>;
  readonly exits: readonly RunnerExit[];
}

interface FinalJob {
  readonly state: string;
  readonly attempt: number;
}

type History = Map<string, Array<{ state: string; attempt: number; at: string }>>;

/** Where the events stream is read: a URL, or connection options (a token for a NATS that wants one). */
export type EventsSource = string | NodeConnectionOptions;

/**
 * A queue checker in the manner of Jepsen's: every acknowledged submission must reach exactly one
 * final state, and the history of each job in the events stream must only move forward.
 */

export async function checkJobs(api: Api, nats: EventsSource, accepted: readonly string[], timeoutMs: number): Promise<CheckerReport> {
  const finals = await waitForFinals(api, accepted, timeoutMs);
  const { duplicated, regressed } = judgeHistories(await stateHistory(nats), accepted);
  return {
    accepted: accepted.length,
    final: finals.size,
    lost: accepted.length - finals.size,
    duplicated: duplicated.length,
    regressed: regressed.length,
    unknown: 0,
    states: countStates(finals),
  };
}

/**
 * The same check from the client's side: every submission's answer counts (acknowledged, refused,
 * unknown), and with runner exits from a witness outside Ferry, what actually ran to completion is
 * held against what the records say.
 */
export async function checkSubmissions(
  api: Api,
  nats: EventsSource,
  answers: readonly SubmissionAnswer[],
  /** Read once every job is final, so exits up to the end are in. */
  readExits: () => Promise<readonly RunnerExit[]>,
  timeoutMs: number,
): Promise<SubmissionReport> {
  const acknowledged = answers.flatMap((answer) => (answer.outcome === 'acknowledged' && answer.jobId !== undefined ? [answer.jobId] : []));
  // An idempotent retry answers with the job of the first try: one job, however many answers name it.
  const ids = [...new Set(acknowledged)];
  const finals = await waitForFinals(api, ids, timeoutMs);
  const history = await stateHistory(nats);
  const exits = await readExits();
  const anomalies = {
    lost: ids.filter((id) => !finals.has(id)),
    ...judgeHistories(history, ids),
    ...judgeExits(finals, exits),
  };
  const refusals = answers.filter((answer) => answer.outcome === 'refused');
  const refusedStatuses: Record<string, number> = {};
  for (const answer of refusals) refusedStatuses[String(answer.status)] = (refusedStatuses[String(answer.status)] ?? 0) + 1;
  return {
    submitted: answers.length,
    acknowledged: ids.length,
    refused: refusals.length,
    refusedStatuses,
    unknown: answers.filter((answer) => answer.outcome === 'unknown').length,
    final: finals.size,
    lost: anomalies.lost.length,
    duplicated: anomalies.duplicated.length,
    regressed: anomalies.regressed.length,
    ranTwice: anomalies.ranTwice.length,
    unwitnessed: anomalies.unwitnessed.length,
    states: countStates(finals),
    evidence: Object.entries(anomalies).flatMap(([anomaly, jobIds]) =>
      jobIds.slice(0, 3).map((jobId) => ({
        anomaly: anomaly as Evidence['anomaly'],
        jobId,
        history: history.get(jobId) ?? [],
        exits: exits.filter((exit) => exit.jobId === jobId),
      })),
    ),
  };
}

/** Polls every job until it is final or the time is up; returns the final ones. */
async function waitForFinals(api: Api, ids: readonly string[], timeoutMs: number): Promise<Map<string, FinalJob>> {
  const finals = new Map<string, FinalJob>();
  const deadline = Date.now() + timeoutMs;
  while (finals.size < ids.length && Date.now() < deadline) {
    const open = ids.filter((candidate) => !finals.has(candidate));
    // A few reads at once: hundreds of jobs one by one would make the poll slower than the jobs.
    for (let start = 0; start < open.length; start += 16) {
      await Promise.all(
        open.slice(start, start + 16).map(async (id) => {
          const job = (await api.get<{ state: string; attempt: number }>(`/v1/jobs/${id}`)).body;
          if (isFinal(job)) finals.set(id, { state: job.state, attempt: job.attempt });
        }),
      );
    }
    if (finals.size < ids.length) await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return finals;
}

/** The jobs whose history shows a second run recorded, or a move backwards. */
function judgeHistories(history: History, ids: readonly string[]): { duplicated: string[]; regressed: string[] } {
  const duplicated: string[] = [];
  const regressed: string[] = [];
  for (const id of ids) {
    const events = history.get(id) ?? [];
    const starts = events.filter((event) => event.state === 'starting').map((event) => event.attempt);
    if (events.filter((event) => event.state === 'succeeded').length > 1 || new Set(starts).size !== starts.length) duplicated.push(id);
    for (let index = 1; index < events.length; index += 1) {
      const before = events[index - 1];
      const after = events[index];
      if (before === undefined || after === undefined) continue;
      if (after.attempt < before.attempt || (after.attempt === before.attempt && (STATE_RANK[after.state] ?? 0) < (STATE_RANK[before.state] ?? 0))) {
        regressed.push(id);
      }
    }
  }
  return { duplicated, regressed };
}

/** Holds the final records against the runner exits the witness saw. */
function judgeExits(finals: Map<string, FinalJob>, exits: readonly RunnerExit[]): { ranTwice: string[]; unwitnessed: string[] } {
  const successes = new Map<string, Set<number>>();
  for (const exit of exits) {
    if (exit.code !== 0) continue;
    successes.set(exit.jobId, (successes.get(exit.jobId) ?? new Set()).add(exit.attempt));
  }
  const ranTwice: string[] = [];
  const unwitnessed: string[] = [];
  for (const [id, job] of finals) {
    if ((successes.get(id)?.size ?? 0) > 1) ranTwice.push(id);
    if (job.state === 'succeeded' && successes.get(id)?.has(job.attempt) !== true) unwitnessed.push(id);
  }
  return { ranTwice, unwitnessed };
}

function countStates(finals: Map<string, FinalJob>): Record<string, number> {
  const states: Record<string, number> = {};
  for (const { state } of finals.values()) states[state] = (states[state] ?? 0) + 1;
  return states;
}

/** Every state event the stream holds, per job, in stream order (duplicates of one revision are stored once). */
async function stateHistory(nats: EventsSource): Promise<History> {
  const connection = await connect(typeof nats === 'string' ? { servers: nats } : nats);
  const consumer = await jetstream(connection).consumers.get('FERRY_EVENTS', { filter_subjects: 'ferry.events.>', deliver_policy: DeliverPolicy.All });
  const history: History = new Map();
  const messages = await consumer.fetch({ max_messages: 1_000_000, expires: 2_000 });
  for await (const message of messages) {
    const event = message.json<{ type: string; at: string; job: { id: string; state: string; attempt: number } }>();
    if (event.type === 'state') {
      const list = history.get(event.job.id) ?? [];
      const last = list.at(-1);
      // The same state written twice (an annotation: reason, queue position) is not a move.
      if (last?.state !== event.job.state || last.attempt !== event.job.attempt) list.push({ state: event.job.state, attempt: event.job.attempt, at: event.at });
      history.set(event.job.id, list);
    }
    if (message.info.pending === 0) break;
  }
  await connection.drain();
  return history;
}
