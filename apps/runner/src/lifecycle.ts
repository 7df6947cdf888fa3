import { ExitCode, type JobErrorReport } from '@ferry/contracts/runner';
import { errorMessage } from './runner.failure.js';
import type { RunnerOutput } from './runner.output.js';

/** What ended the attempt from outside. */
export type StopCause = 'SIGTERM' | 'SIGINT' | 'stdin closed';

export type StopHook = () => void | Promise<void>;

/** Runs as the attempt exits by its own verdict, right before the exit (synchronously). */
export type ExitHook = (code: number, error: JobErrorReport | undefined) => void;

/** How long stop hooks (a child's own SIGTERM grace, above all) may take before the runner exits anyway. */
const STOP_HOOKS_DEADLINE_MS = 10_000;

interface ProcessPort {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  exit(code: number): never;
}

interface InputPort {
  on(event: 'end' | 'close' | 'error', listener: () => void): unknown;
  resume(): unknown;
}

/**
 * One place that decides how the process ends. A signal (cancel, deadline, eviction) or the end of
 * stdin (the local controller died) aborts `signal`, runs the stop hooks — kill children, remove the
 * temp folder — and exits 143. Once stopping, the pipeline's own outcome no longer counts: the
 * controller must see "terminated", not whatever error the abort caused.
 */
export class Lifecycle {
  readonly #controller = new AbortController();
  readonly #hooks = new Set<StopHook>();
  #exitHook: ExitHook | undefined;
  #stopping = false;

  constructor(
    private readonly output: RunnerOutput,
    private readonly process: ProcessPort,
  ) {}

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  watchSignals(): void {
    this.process.on('SIGTERM', () => void this.stop('SIGTERM'));
    this.process.on('SIGINT', () => void this.stop('SIGINT'));
  }

  /** The executor keeps the write end open for the attempt's lifetime; EOF or an error means it is gone. */
  watchInput(input: InputPort): void {
    const gone = (): void => void this.stop('stdin closed');
    input.on('end', gone);
    input.on('close', gone);
    input.on('error', gone);
    input.resume();
  }

  /** Runs `hook` if the attempt is stopped from outside; the returned function unregisters it. */
  onStop(hook: StopHook): () => void {
    this.#hooks.add(hook);
    return () => this.#hooks.delete(hook);
  }

  /** Runs `hook` when the attempt exits by its own verdict (never when stopped from outside). */
  onExit(hook: ExitHook): void {
    this.#exitHook = hook;
  }

  /**
   * The pipeline's outcome; ignored while stopping, since stop() is about to exit 143. The exit
   * waits one turn of the event loop, in which an end of stdin that is already there (the
   * controller died while this runner was starting or finishing) is read and wins: a restarted
   * controller runs the attempt again, so this copy must not complete too. A quick pipeline (a
   * 0 s sleep) would otherwise finish without ever yielding to I/O. Past that turn the verdict is
   * final: the exit hook and the exit run together, with nothing in between that could stop them.
   */
  finish(code: number, error?: JobErrorReport): void {
    if (this.#stopping) return;
    setImmediate(() => {
      if (this.#stopping) return;
      try {
        this.#exitHook?.(code, error);
      } catch (hookError) {
        this.output.warn(`runner: exit hook failed: ${errorMessage(hookError)}`);
      }
      this.process.exit(code);
    });
  }

  async stop(cause: StopCause): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.output.warn(`runner: ${cause}: stopping the attempt`);
    this.#controller.abort(new Error(`stopped: ${cause}`));
    const hooks = [...this.#hooks].map(async (hook) => {
      try {
        await hook();
      } catch (error) {
        this.output.warn(`runner: cleanup failed: ${errorMessage(error)}`);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_HOOKS_DEADLINE_MS)));
    await Promise.race([Promise.all(hooks), deadline]);
    clearTimeout(timer);
    this.process.exit(ExitCode.Terminated);
  }
}
