// Private redis-server processes for the queue peers: one per measurement, on a free port, with
// append-only persistence and a chosen fsync policy, data in a temporary folder. Installs Redis
// from Debian when the machine has none (CI starts on a fresh machine).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commandRuns } from '../../scripts/lib/command.ts';
import { freePort, isListening } from '../../scripts/lib/nats-server.ts';
import { BenchProcess, sleep } from './processes.ts';

const run = promisify(execFile);

/** `always`: fsync before each reply (like NATS `sync_interval: always`); `everysec`: Redis's default. */
export type RedisFsync = 'always' | 'everysec';

export interface RunningRedis {
  readonly url: string;
  readonly fsync: RedisFsync;
  stop(): Promise<void>;
}


export async function ensureRedis(log: (line: string) => void): Promise<void> {
  if (await commandRuns('redis-server', ['--version'])) return;
  log('redis-server missing: installing it from Debian (apt-get install -y redis-server)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env, maxBuffer: 64 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { env, maxBuffer: 64 * 1024 * 1024 });
  // Debian's package may start a system-wide service; the bench uses only its own processes.
  if (!(await commandRuns('redis-server', ['--version']))) throw new Error('redis-server is still missing after apt-get install');
}

export async function startRedis(fsync: RedisFsync): Promise<RunningRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, '--dir', dir];
  const server = BenchProcess.start(`redis-server (appendfsync ${fsync})`, 'redis-server', args);
  const deadline = Date.now() + 10_000;
  while (!(await isListening(port))) {
    if (!server.alive || Date.now() > deadline) {
      await server.stop();
      throw new Error(`redis-server did not start on port ${port}:\n${server.output}`);
    }
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    fsync,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
