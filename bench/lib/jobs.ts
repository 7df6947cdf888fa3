// One client shape for "submit a no-op job, see it done" across Ferry and the peers, as each
// system's own client would: Ferry over its REST API with the events subjects of docs/architecture.md §5 for
// completion; the queue peers over their HTTP front (enqueue, then a blocking wait on the
// queue's own result notification); Ray Jobs over the dashboard's REST Jobs API, polled.
import { request } from 'node:http';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { inClosedLoops } from './closed-loops.ts';
import type { Ferry } from './ferry.ts';
import { FERRY_TENANT, SLEEP_0 } from './ferry.ts';
import { sleep } from './processes.ts';

export interface JobStatus {
  readonly state: string;
  /** How many times it ran, where the system says (Ferry's attempt). */
  readonly attempt?: number;
}

export interface JobClient {
  /** Submits; `done` when the answer itself says the job finished (actor-per-request). */
  submit(): Promise<{ id: string; done: boolean }>;
  waitDone(id: string): Promise<void>;
  status(id: string): Promise<JobStatus>;
  /** Executions per id, as counted by the task itself (queue peers), if the system can tell. */
  runs?(): Promise<Record<string, number>>;
  /** How many distinct jobs have finished so far. */
  doneCount(): Promise<number>;
  close(): Promise<void>;
}

async function json<T>(response: Promise<Response>, what: string): Promise<T> {
  const answer = await response;
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${what}: HTTP ${answer.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

export class FerryJobs implements JobClient {
  private readonly ferry: Ferry;
  private readonly nc: NatsConnection;
  private readonly subscription: Subscription;
  /** Succeeded events per job id (more than one would be a duplicate completion). */
  readonly succeeded = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();

  private constructor(ferry: Ferry, nc: NatsConnection) {
    this.ferry = ferry;
    this.nc = nc;
    this.subscription = nc.subscribe(`ferry.events.${FERRY_TENANT}.>`, {
      callback: (_error, message) => {
        const event = message.json<{ type: string; job: { id: string; state: string } }>();
        if (event.type !== 'state' || event.job.state !== 'succeeded') return;
        this.succeeded.set(event.job.id, (this.succeeded.get(event.job.id) ?? 0) + 1);
        this.waiting.get(event.job.id)?.();
      },
    });
  }

  static async open(ferry: Ferry): Promise<FerryJobs> {
    const nc = await ferry.connectNats();
    const jobs = new FerryJobs(ferry, nc);
    await nc.flush();
    return jobs;
  }

  async submit(): Promise<{ id: string; done: boolean }> {
    const job = await json<{ id: string }>(fetch(`${this.ferry.url}/v1/jobs`, { method: 'POST', headers: this.ferry.headers, body: SLEEP_0 }), 'POST /v1/jobs');
    return { id: job.id, done: false };
  }

  waitDone(id: string): Promise<void> {
    if (this.succeeded.has(id)) return Promise.resolve();
    return new Promise((resolve) =>
      this.waiting.set(id, () => {
        this.waiting.delete(id);
        resolve();
      }),
    );
  }

  async status(id: string): Promise<JobStatus> {
    const job = await json<{ state: string; attempt: number }>(fetch(`${this.ferry.url}/v1/jobs/${id}`, { headers: this.ferry.headers }), 'GET /v1/jobs/:id');
    return { state: job.state, attempt: job.attempt };
  }

  doneCount(): Promise<number> {
    return Promise.resolve(this.succeeded.size);
  }

  async close(): Promise<void> {
    this.subscription.unsubscribe();
    await this.nc.close();
  }
}

/** A queue peer's HTTP front (bench/peers/*: POST /jobs, GET /jobs/:id, GET /jobs/:id/wait, GET /runs). */
export class PeerJobs implements JobClient {
  private readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async submit(): Promise<{ id: string; done: boolean }> {
    const job = await json<{ id: string; state?: string }>(fetch(`${this.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 'POST /jobs');
    return { id: job.id, done: job.state === 'succeeded' };
  }

  async waitDone(id: string): Promise<void> {
    const job = await json<{ state: string }>(fetch(`${this.url}/jobs/${id}/wait`), 'GET /jobs/:id/wait');
    if (job.state !== 'succeeded') throw new Error(`job ${id} ended ${job.state}`);
  }

  status(id: string): Promise<JobStatus> {
    return json<JobStatus>(fetch(`${this.url}/jobs/${id}`), 'GET /jobs/:id');
  }

  runs(): Promise<Record<string, number>> {
    return json<Record<string, number>>(fetch(`${this.url}/runs`), 'GET /runs');
  }

  async doneCount(): Promise<number> {
    return (await json<{ count: number }>(fetch(`${this.url}/runs/count`), 'GET /runs/count')).count;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * node:http rather than fetch: Ray's dashboard refuses POSTs that look like a browser's, and
 * fetch always sends `Sec-Fetch-Mode`.
 */
function plainJson<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = request(url, { method, headers: payload === undefined ? {} : { 'content-type': 'application/json' } }, (incoming) => {
      let text = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => (text += chunk));
      incoming.on('end', () => {
        const status = incoming.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`${method} ${url}: HTTP ${status} ${text.slice(0, 300)}`));
        else resolve(JSON.parse(text) as T);
      });
    });
    outgoing.once('error', reject);
    outgoing.end(payload);
  });
}

/** Ray Jobs: `POST /api/jobs/` with `entrypoint: "true"` (a process per job), status polled. */
export class RayJobs implements JobClient {
  private readonly dashboardUrl: string;
  private readonly pollMs: number;

  constructor(dashboardUrl: string, pollMs = 20) {
    this.dashboardUrl = dashboardUrl;
    this.pollMs = pollMs;
  }

  async submit(): Promise<{ id: string; done: boolean }> {
    const job = await plainJson<{ submission_id: string }>('POST', `${this.dashboardUrl}/api/jobs/`, { entrypoint: 'true' });
    return { id: job.submission_id, done: false };
  }

  async waitDone(id: string): Promise<void> {
    for (;;) {
      const { state } = await this.status(id);
      if (state === 'succeeded') return;
      if (state === 'failed') throw new Error(`ray job ${id} failed`);
      await sleep(this.pollMs);
    }
  }

  async status(id: string): Promise<JobStatus> {
    const job = await plainJson<{ status: string }>('GET', `${this.dashboardUrl}/api/jobs/${id}`);
    const state = { SUCCEEDED: 'succeeded', FAILED: 'failed', STOPPED: 'failed', RUNNING: 'running' }[job.status] ?? 'queued';
    return { state };
  }

  doneCount(): Promise<number> {
    return Promise.reject(new Error('the Ray Jobs client counts no runs'));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Submit → done as the client sees it, in ms. */
export async function timeOneJob(client: JobClient): Promise<number> {
  const started = performance.now();
  const { id, done } = await client.submit();
  if (!done) await client.waitDone(id);
  return performance.now() - started;
}

/** `count` jobs through `inFlight` closed loops; returns latencies and jobs/s over the whole. */
export async function runJobs(client: JobClient, count: number, inFlight: number): Promise<{ latencies: number[]; jobsPerSecond: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  await inClosedLoops(count, inFlight, async () => void latencies.push(await timeOneJob(client)));
  return { latencies, jobsPerSecond: count / ((performance.now() - started) / 1000) };
}
