import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RUNNER_ENV, jobKey, parseExitRecord, parseRunnerLine, type Job, type JobErrorReport, type JobExecutor, type LogEntry } from '@ferry/contracts';
import { buildRunnerLaunch, type AttemptLaunch, type AttemptObservation, type Executor, type ExecutorSink, type RunnerLaunchSettings } from '@ferry/executor';

export interface LocalExecutorOptions {
  /** Identifies this controller process; written into each record's `executor.name`. */
  readonly name: string;
  /** The runner's command line, e.g. `[process.execPath, 'apps/runner/dist/main.js']`. */
  readonly runnerCommand: readonly string[];
  /** Time between SIGTERM and SIGKILL when stopping an attempt. */
  readonly stopGraceMs: number;
  /** Environment every attempt gets (PATH, data folder, source policy, DuckDB limits). */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** The gateway's address and the secret that signs each attempt's upload token. */
  readonly launch: RunnerLaunchSettings;
  /**
   * Where runners leave their exit records (`<tenant>/<job id>/<attempt>.json`), read back by
   * `recover`. Every controller on the machine must use the same folder.
   */
  readonly exitRecordDir: string;
  /** Reads the time (start and exit of attempts, log lines); tests pass their own. */
  readonly clock?: () => Date;
}

interface Attempt {
  readonly attempt: number;
  /** Absent for an attempt known only from its exit record. */
  readonly child: ChildProcess | undefined;
  readonly startedAt: Date;
  stopping: boolean;
  error: JobErrorReport | undefined;
  exit: { exitCode: number | null; signal: string | null; finishedAt: Date } | undefined;
}

/**
 * Runs each attempt as a child process of the runner. Its stdin stays open and unused: when this
 * process dies, the pipe closes and the runner stops itself (`FERRY_WATCH_STDIN`), so a restarted
 * controller can run the attempt again without two copies finishing. stdout and stderr are read
 * line by line: progress and error markers go to the sink as such, every other line as a log line.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local' as const;
  readonly retriesAttempts = false;
  readonly #attempts = new Map<string, Attempt>();

  constructor(
    private readonly options: LocalExecutorOptions,
    private readonly sink: ExecutorSink,
  ) {}

  private now(): Date {
    return this.options.clock?.() ?? new Date();
  }

  get name(): string {
    return this.options.name;
  }

  describe(): JobExecutor {
    return { kind: 'local', name: this.options.name };
  }

  start({ job, pipeline }: AttemptLaunch): Promise<void> {
    const key = jobKey(job.tenant, job.id);
    const existing = this.#attempts.get(key);
    if (existing !== undefined && existing.attempt >= job.attempt) return Promise.resolve();
    const [command, ...args] = this.options.runnerCommand;
    if (command === undefined) throw new Error('LocalExecutor: empty runner command');
    const child = spawn(command, args, {
      env: {
        ...this.options.baseEnv,
        ...buildRunnerLaunch(job, pipeline, job.attempt, this.options.launch).env,
        [RUNNER_ENV.watchStdin]: '1',
        [RUNNER_ENV.exitRecord]: this.exitRecordPath(job.tenant, job.id, job.attempt),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const attempt: Attempt = { attempt: job.attempt, child, startedAt: this.now(), stopping: false, error: undefined, exit: undefined };
    this.#attempts.set(key, attempt);
    const drained = Promise.all([this.pump(job, attempt, child.stdout, 'stdout'), this.pump(job, attempt, child.stderr, 'stderr')]);
    const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
      child.once('error', (error) => {
        void this.sink.log(job.tenant, job.id, entry(`runner failed to start: ${error.message}`, 'stderr', job.attempt, this.now()), -1);
        resolve({ exitCode: 127, signal: null });
      });
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    });
    void Promise.all([exited, drained]).then(([status]) => {
      attempt.exit = { ...status, finishedAt: this.now() };
      this.sink.changed(job.tenant, job.id);
    });
    this.sink.changed(job.tenant, job.id);
    return Promise.resolve();
  }

  observe(tenant: string, jobId: string): AttemptObservation {
    const attempt = this.#attempts.get(jobKey(tenant, jobId));
    if (attempt === undefined) return { phase: 'absent' };
    if (attempt.exit === undefined) {
      return { phase: 'running', attempt: attempt.attempt, startedAt: attempt.startedAt, stopping: attempt.stopping };
    }
    return { phase: 'exited', attempt: attempt.attempt, ...attempt.exit, error: attempt.error };
  }

  /**
   * Reads the exit record of an attempt this executor neither runs nor remembers. A runner writes
   * one only as it exits by its own verdict, so no record means the attempt was stopped or killed.
   */
  async recover(tenant: string, jobId: string, attempt: number): Promise<void> {
    const key = jobKey(tenant, jobId);
    if (this.#attempts.has(key)) return;
    const text = await readFile(this.exitRecordPath(tenant, jobId, attempt), 'utf8').catch(() => undefined);
    const record = text === undefined ? undefined : parseExitRecord(text, attempt);
    if (record === undefined || this.#attempts.has(key)) return;
    const finishedAt = new Date(record.finishedAt);
    this.#attempts.set(key, {
      attempt,
      child: undefined,
      startedAt: finishedAt,
      stopping: false,
      error: record.error,
      exit: { exitCode: record.exitCode, signal: null, finishedAt },
    });
  }

  stop(tenant: string, jobId: string): Promise<void> {
    const attempt = this.#attempts.get(jobKey(tenant, jobId));
    const child = attempt?.child;
    if (attempt === undefined || child === undefined || attempt.exit !== undefined || attempt.stopping) return Promise.resolve();
    attempt.stopping = true;
    child.kill('SIGTERM');
    const force = setTimeout(() => {
      if (attempt.exit === undefined) child.kill('SIGKILL');
    }, this.options.stopGraceMs);
    force.unref();
    return Promise.resolve();
  }

  /**
   * The job is final: drop what is known of it, and its exit records with it. Only a job this
   * executor ran or recovered can have records (the reconciler releases every final job at each
   * full resync, so an unknown one must cost no I/O).
   */
  release(tenant: string, jobId: string): void {
    const key = jobKey(tenant, jobId);
    const attempt = this.#attempts.get(key);
    if (attempt === undefined || attempt.exit === undefined) return;
    this.#attempts.delete(key);
    void rm(join(this.options.exitRecordDir, tenant, jobId), { recursive: true, force: true }).catch(() => undefined);
  }

  async close(): Promise<void> {
    const live = [...this.#attempts.values()].flatMap((attempt) => (attempt.exit === undefined && attempt.child !== undefined ? [attempt.child] : []));
    for (const child of live) {
      child.stdin?.end();
      child.kill('SIGTERM');
    }
    await Promise.all(live.map((child) => new Promise((resolve) => (child.exitCode === null && child.signalCode === null ? child.once('exit', resolve) : resolve(undefined)))));
  }

  private exitRecordPath(tenant: string, jobId: string, attempt: number): string {
    return join(this.options.exitRecordDir, tenant, jobId, `${attempt}.json`);
  }

  /** Reads one output stream line by line, in order, until it ends. */
  private async pump(job: Job, attempt: Attempt, stream: NodeJS.ReadableStream | null, name: LogEntry['stream']): Promise<void> {
    if (stream === null) return;
    let sequence = 0;
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      const parsed = parseRunnerLine(line);
      if (parsed.kind === 'progress') this.sink.progress(job.tenant, job.id, job.attempt, parsed.progress);
      else if (parsed.kind === 'error') attempt.error = parsed.error;
      else {
        sequence += 1;
        // A line NATS cannot take now (an outage) is dropped rather than stalling the attempt's pipe.
        await this.sink.log(job.tenant, job.id, entry(parsed.line, name, job.attempt, this.now()), sequence).catch(() => undefined);
      }
    }
  }
}

function entry(line: string, stream: LogEntry['stream'], attempt: number, at: Date): LogEntry {
  return { line, stream, attempt, at: at.toISOString() };
}
