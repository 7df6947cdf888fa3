import type { ChildProcess } from 'node:child_process';

/** Output kept per process, for error messages and the checks that read a log. */
const OUTPUT_LIMIT = 512 * 1024;

/**
 * A Ferry service the tests run as a real process (gateway, controller): its stdout and stderr kept,
 * its exit awaitable whenever and however it came, a kill -9 included.
 */
export class ServiceProcess {
  #output = '';
  /** The exit code, `null` when a signal ended it. */
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(child: ChildProcess) {
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => this.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.capture(chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` unless the process has already exited, and waits for its exit. */
  signal(signal: NodeJS.Signals): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  private capture(chunk: Buffer): void {
    if (this.#output.length < OUTPUT_LIMIT) this.#output += chunk.toString();
  }
}
