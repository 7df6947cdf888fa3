// Ferry's side of the ETL scenario, through the real system: nats-server, a gateway and a controller
// as processes, the `sql` job submitted over HTTP, its `succeeded` event awaited, its result fetched.
// The controller starts every runner through bench/peers/etl/measure_process.py (FERRY_RUNNER_COMMAND),
// the same wrapper that measures pandas and polars: wall time and wait4 peak RSS of the runner process.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { TEST_KEYS } from '../../test/support/gateway.ts';
import { REPO_ROOT, RUNNER_MAIN } from '../../test/support/paths.ts';
import { FerrySystem } from '../../test/support/system.ts';
import type { EtlDataset, EtlFormat } from './etl-data.ts';

export const MEASURE_PROCESS = join(REPO_ROOT, 'bench', 'peers', 'etl', 'measure_process.py');

/** What measure_process.py writes. */
export interface ProcessReport {
  readonly wallMs: number;
  readonly maxRssKiB: number;
  readonly userMs: number;
  readonly sysMs: number;
  readonly exitCode: number;
}

export interface FerryRun {
  readonly process: ProcessReport;
  /** From the runner's own log: the DuckDB `COPY (SELECT …) TO` (read + group-by + write). */
  readonly engineMs: number;
  /** From the runner's own log: copying the `file://` source into its private temp folder. */
  readonly fetchMs: number;
  /** POST /v1/jobs sent → the `succeeded` event received. */
  readonly endToEndMs: number;
  readonly resultCsv: string;
}

interface JobView {
  readonly id: string;
  readonly state: string;
  readonly reason?: string;
  readonly message?: string;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export const ETL_SQL = `SELECT city, category, count(*) AS orders, sum(quantity) AS quantity, sum(amount) AS amount, avg(amount) AS avg_amount
FROM orders GROUP BY city, category ORDER BY city, category`;

export class FerryEtl {
  private readonly finals = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();

  private readonly system: FerrySystem;
  private readonly nc: NatsConnection;
  private readonly subscription: Subscription;
  private readonly dataset: EtlDataset;
  private readonly reportDir: string;

  private constructor(system: FerrySystem, nc: NatsConnection, subscription: Subscription, dataset: EtlDataset, reportDir: string) {
    this.system = system;
    this.nc = nc;
    this.subscription = subscription;
    this.dataset = dataset;
    this.reportDir = reportDir;
  }

  /** Production catalog and controller defaults, except: data folder = the dataset's, runner wrapped. */
  static async start(dataset: EtlDataset, python: string, workDir: string): Promise<FerryEtl> {
    const reportDir = join(workDir, 'runner-reports');
    await mkdir(reportDir, { recursive: true });
    const catalog = join(REPO_ROOT, 'pipelines', 'catalog.yaml');
    const runnerCommand = [python, '-I', MEASURE_PROCESS, join(reportDir, '{job}.json'), '--', process.execPath, RUNNER_MAIN];
    const system = await FerrySystem.start({
      gatewayEnv: { LOG_LEVEL: 'warn', FERRY_PIPELINES: catalog },
      controllerEnv: {
        LOG_LEVEL: 'warn',
        FERRY_PIPELINES: catalog,
        FERRY_DATA_DIR: dataset.dir,
        FERRY_RUNNER_COMMAND: JSON.stringify(runnerCommand),
        FERRY_PROGRESS_INTERVAL_MS: '500',
        FERRY_RESYNC_SECONDS: '30',
      },
    });
    let nc: NatsConnection | undefined;
    try {
      nc = await connect({ servers: system.nats.url });
      const etl: { current?: FerryEtl } = {};
      const subscription = nc.subscribe('ferry.events.acme.>', {
        callback: (_error, message) => {
          const event = message.json<{ type: string; job: JobView }>();
          if (event.type === 'state' && FINAL.has(event.job.state)) etl.current?.finished(event.job.id);
        },
      });
      await nc.flush();
      etl.current = new FerryEtl(system, nc, subscription, dataset, reportDir);
      return etl.current;
    } catch (error) {
      await nc?.close();
      await system.stop();
      throw error;
    }
  }

  /** One `sql` job over the dataset in `format`; throws with the job's reason and logs unless it succeeds. */
  async runJob(format: EtlFormat): Promise<FerryRun> {
    const api = this.system.api(TEST_KEYS.acme);
    const params = { sources: { orders: { url: `file://${this.dataset.files[format]}`, format } }, sql: ETL_SQL, output: { format: 'csv' } };
    const submitted = performance.now();
    const response = await api.post<JobView>('/v1/jobs', { pipeline: 'sql', params, maxAttempts: 1 });
    if (response.status !== 202) throw new Error(`etl: POST /v1/jobs answered ${response.status}: ${response.text}`);
    const id = response.body.id;
    const finishedAt = await this.waitFinal(id);
    const job = (await api.get<JobView>(`/v1/jobs/${id}`)).body;
    const logs = (await api.get<string>(`/v1/jobs/${id}/logs`)).text;
    if (job.state !== 'succeeded') throw new Error(`etl: Ferry's ${format} job ${id} ended ${job.state} (${job.reason}): ${job.message}\n${logs}`);
    const result = await api.get<string>(`/v1/jobs/${id}/result`);
    if (result.status !== 200) throw new Error(`etl: GET result of ${id} answered ${result.status}: ${result.text}`);
    const report = JSON.parse(await readFile(join(this.reportDir, `${id}.json`), 'utf8')) as ProcessReport;
    return {
      process: report,
      engineMs: logMs(logs, /sql: the query wrote \d+ rows as \w+ in (\d+) ms/, id),
      fetchMs: logMs(logs, /sql: fetched source "orders" .* in (\d+) ms/, id),
      endToEndMs: finishedAt - submitted,
      resultCsv: result.text,
    };
  }

  async stop(): Promise<void> {
    this.subscription.unsubscribe();
    await this.nc.drain();
    await this.system.stop();
  }

  private finished(id: string): void {
    if (this.finals.has(id)) return;
    this.finals.set(id, performance.now());
    this.waiting.get(id)?.();
  }

  /** When the job's final event arrived; it may have arrived before the POST's answer was read. */
  private async waitFinal(id: string): Promise<number> {
    const timeout = setTimeout(() => this.waiting.get(id)?.(), 30 * 60_000);
    try {
      await new Promise<void>((resolve) => {
        if (this.finals.has(id)) resolve();
        else this.waiting.set(id, resolve);
      });
    } finally {
      clearTimeout(timeout);
      this.waiting.delete(id);
    }
    const at = this.finals.get(id);
    if (at === undefined) throw new Error(`etl: job ${id} did not finish within 30 minutes`);
    return at;
  }
}

function logMs(logs: string, pattern: RegExp, id: string): number {
  const match = pattern.exec(logs);
  if (match?.[1] === undefined) throw new Error(`etl: job ${id}'s log has no line matching ${pattern}:\n${logs}`);
  return Number(match[1]);
}
