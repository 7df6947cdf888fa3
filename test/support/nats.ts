import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureNatsServer, freePort, startNatsServer, type RunningNatsServer } from '../../scripts/lib/nats-server.ts';

/** A fresh nats-server per suite: its own port and store, removed afterwards; restartable in place. */
export class TestNats {
  #server: RunningNatsServer | undefined;

  readonly port: number;
  readonly storeDir: string;
  private readonly binary: string;
  private readonly maxFileStore: string | undefined;

  private constructor(port: number, storeDir: string, binary: string, maxFileStore: string | undefined) {
    this.port = port;
    this.storeDir = storeDir;
    this.binary = binary;
    this.maxFileStore = maxFileStore;
  }

  /** `maxFileStore`: JetStream's storage limit, as a deployment sets it (the chart: 8GB). */
  static async start(options: { maxFileStore?: string } = {}): Promise<TestNats> {
    const binary = process.env['FERRY_TEST_NATS_SERVER'] ?? (await ensureNatsServer());
    const nats = new TestNats(await freePort(), await mkdtemp(join(tmpdir(), 'ferry-nats-')), binary, options.maxFileStore);
    await nats.resume();
    return nats;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Stops the server, keeping its store, as an outage would. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.#server?.stop(signal);
    this.#server = undefined;
  }

  /** Starts the server again on the same port with the same store. */
  async resume(): Promise<void> {
    this.#server = await startNatsServer({
      binary: this.binary,
      port: this.port,
      storeDir: this.storeDir,
      ...(this.maxFileStore === undefined ? {} : { maxFileStore: this.maxFileStore }),
    });
  }

  async dispose(): Promise<void> {
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
