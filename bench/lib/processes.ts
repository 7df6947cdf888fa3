// Child processes of the bench: each in its own process group, so a server that forks workers
// (uvicorn --workers, celery prefork, rq worker-pool) is stopped with all of them. Every group
// started here is killed when the harness exits, however it exits.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

const running = new Set<BenchProcess>();

export class BenchProcess {
  #output = '';
  readonly name: string;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => running.delete(this));
  }

  static start(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): BenchProcess {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const started = new BenchProcess(name, child);
    running.add(started);
    child.once('error', (error) => started.capture(Buffer.from(`spawn failed: ${error.message}\n`)));
    return started;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines it printed, for an error message. */
  get output(): string {
    return this.#output.split('\n').slice(-30).join('\n');
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the leader has exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.signalGroup('SIGTERM');
    const timer = setTimeout(() => this.signalGroup('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    // Workers that outlived their leader (a forked horse, a prefork child) go too.
    this.signalGroup('SIGKILL');
  }

  signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // The group is gone already.
    }
  }

  private capture(chunk: Buffer): void {
    this.#output += chunk.toString();
    if (this.#output.length > 128 * 1024) this.#output = this.#output.slice(-64 * 1024);
  }
}

/** Kills what is still running (at exit, on Ctrl-C, after a crash of the harness). */
export function killAll(): void {
  for (const child of running) child.signalGroup('SIGKILL');
}
process.once('exit', killAll);

/** Polls `url` until it answers `expectedStatus`; fails early if `process` died, with its output. */
export async function waitForHttp(url: string, process: BenchProcess | undefined, timeoutMs = 30_000, expectedStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process !== undefined && !process.alive) throw new Error(`${process.name} exited before answering ${url}:\n${process.output}`);
    const status = await fetch(url).then(
      async (response) => {
        await response.arrayBuffer();
        return response.status;
      },
      () => 0,
    );
    if (status === expectedStatus) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${expectedStatus} within ${timeoutMs} ms${process === undefined ? '' : `:\n${process.output}`}`);
    await sleep(100);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
