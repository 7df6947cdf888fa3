import { createHash } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { transitionJob, type Job, type JobResult, type StateChange } from '@ferry/contracts';
import { DEFAULT_TOPOLOGY, JobEventStream, JobLogStream, JobStore, ResultStore, ensureTopology } from '@ferry/nats';

/**
 * Writes to NATS what the controller will write once it exists (state changes with their events,
 * log lines, results), through the same stores, so the gateway's read side is tested on real data.
 */
export class ControllerDouble {
  private readonly connection: NatsConnection;
  readonly jobs: JobStore;
  readonly events: JobEventStream;
  readonly logs: JobLogStream;
  readonly results: ResultStore;

  private constructor(connection: NatsConnection, jobs: JobStore, events: JobEventStream, logs: JobLogStream, results: ResultStore) {
    this.connection = connection;
    this.jobs = jobs;
    this.events = events;
    this.logs = logs;
    this.results = results;
  }

  static async connect(url: string): Promise<ControllerDouble> {
    const connection = await connect({ servers: url });
    const nats = await ensureTopology(connection, DEFAULT_TOPOLOGY);
    return new ControllerDouble(
      connection,
      JobStore.on(nats),
      new JobEventStream(nats.js, nats.jsm, DEFAULT_TOPOLOGY),
      new JobLogStream(nats.js, nats.jsm, DEFAULT_TOPOLOGY),
      ResultStore.on(nats),
    );
  }

  /** Moves a job through the transition table and publishes the state event, as a writer must. */
  async move(tenant: string, jobId: string, change: StateChange, extra: Partial<Job> = {}): Promise<Job> {
    const stored = await this.jobs.update(tenant, jobId, (job) => ({ ...transitionJob(job, change, new Date()), ...extra }));
    await this.events.publish('state', stored.job, stored.revision);
    return stored.job;
  }

  async progress(tenant: string, jobId: string, percent: number): Promise<Job> {
    const stored = await this.jobs.update(tenant, jobId, (job) => ({ ...job, progress: { percent }, updatedAt: new Date().toISOString() }));
    await this.events.publish('progress', stored.job, stored.revision);
    return stored.job;
  }

  /** Runs a job to `succeeded` with a result of `text`. */
  async succeed(tenant: string, jobId: string, text: string, contentType = 'text/csv'): Promise<Job> {
    const put = await this.results.put(tenant, jobId, 1, contentType, new Blob([text]).stream());
    const result: JobResult = { contentType, bytes: put.bytes, rows: text.trim().split('\n').length - 1, sha256: createHash('sha256').update(text).digest('hex') };
    await this.move(tenant, jobId, { state: 'starting', attempt: 1 });
    await this.move(tenant, jobId, { state: 'running' });
    return this.move(tenant, jobId, { state: 'succeeded', reason: null }, { result });
  }

  async close(): Promise<void> {
    await this.connection.drain();
  }
}
