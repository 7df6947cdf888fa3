import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseRunnerLine, type JobErrorReport, type JobProgress, type RunnerSpec } from '@ferry/contracts';
import { REPO_ROOT } from '../../support/paths.ts';

export const RUNNER_MAIN = join(REPO_ROOT, 'apps', 'runner', 'dist', 'main.js');

/** Suites spawn the runner as deployed; build it once if this checkout has not been built yet. */
export function ensureRunnerBuilt(): void {
  if (!existsSync(RUNNER_MAIN)) {
    execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'apps/runner/tsconfig.lib.json'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
  }
}

export function specOf(kind: RunnerSpec['kind'], params: Record<string, unknown>, argv?: string[]): RunnerSpec {
  return { id: '01jrunnertest0000000000000', tenant: 'acme', pipeline: kind, kind, attempt: 1, params, ...(argv ? { argv } : {}) };
}

export interface RunnerRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutLines: string[];
  readonly progress: JobProgress[];
  readonly errors: JobErrorReport[];
  readonly elapsedMs: number;
}

export interface RunnerOptions {
  readonly spec?: RunnerSpec | string;
  readonly env?: Record<string, string | undefined>;
  readonly stdin?: 'pipe' | 'ignore';
}

/** A runner process with only the environment a test gives it (plus PATH for container commands). */
export class RunnerProcess {
  #stdout = '';
  #stderr = '';
  readonly #started = performance.now();
  readonly #exited: Promise<RunnerRun>;

  readonly child: ChildProcess;

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#exited = new Promise((resolve) =>
      child.once('close', (code, signal) => resolve(this.summary(code, signal))),
    );
  }

  static start(options: RunnerOptions): RunnerProcess {
    const spec = options.spec === undefined ? undefined : typeof options.spec === 'string' ? options.spec : JSON.stringify(options.spec);
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
    if (spec !== undefined) env['FERRY_JOB'] = spec;
    for (const [name, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[name] = value;
    const child = spawn(process.execPath, [RUNNER_MAIN], { env, stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'] });
    return new RunnerProcess(child);
  }

  get stdout(): string {
    return this.#stdout;
  }

  exited(): Promise<RunnerRun> {
    return this.#exited;
  }

  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await vi.waitFor(() => expect(this.#stdout + this.#stderr).toMatch(pattern), { timeout: timeoutMs, interval: 10 });
  }

  private summary(code: number | null, signal: NodeJS.Signals | null): RunnerRun {
    const stdoutLines = this.#stdout.split('\n').filter((line) => line !== '');
    const parsed = stdoutLines.map(parseRunnerLine);
    return {
      code,
      signal,
      stdout: this.#stdout,
      stderr: this.#stderr,
      stdoutLines,
      progress: parsed.flatMap((line) => (line.kind === 'progress' ? [line.progress] : [])),
      errors: parsed.flatMap((line) => (line.kind === 'error' ? [line.error] : [])),
      elapsedMs: performance.now() - this.#started,
    };
  }
}

export function runRunner(options: RunnerOptions): Promise<RunnerRun> {
  return RunnerProcess.start(options).exited();
}
