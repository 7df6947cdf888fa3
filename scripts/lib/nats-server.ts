// Finds, installs and starts nats-server for `npm start` and the test suites (docs/architecture.md §7).
// Plain TypeScript run by Node's type stripping: no build step before NATS can start.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { commandRuns } from './command.ts';

const run = promisify(execFile);

/** The release Ferry is tested with: 2.12+ brings per-message TTL and atomic batches. */
export const NATS_SERVER_VERSION = 'v2.15.2';
const MIN_MINOR = 12;

export function cacheDir(): string {
  return process.env['FERRY_CACHE_DIR'] ?? join(homedir(), '.cache', 'ferry');
}

function cachedBinary(): string {
  return join(cacheDir(), 'bin', `nats-server-${NATS_SERVER_VERSION}`, 'nats-server');
}

async function versionOf(binary: string): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ['--version']);
    return /v(\d+\.\d+\.\d+)/.exec(stdout)?.[1];
  } catch {
    return undefined;
  }
}

function recentEnough(version: string | undefined): boolean {
  const [major, minor] = (version ?? '0.0').split('.').map(Number);
  return major === 2 && (minor ?? 0) >= MIN_MINOR;
}

/**
 * A nats-server binary of 2.12 or newer: `FERRY_NATS_SERVER`, else one on PATH, else the cached
 * build, else one built now with `go install` into the cache (about a minute, once per machine).
 */
export async function ensureNatsServer(log: (line: string) => void = () => undefined): Promise<string> {
  const explicit = process.env['FERRY_NATS_SERVER'];
  if (explicit !== undefined) {
    if (!recentEnough(await versionOf(explicit))) throw new Error(`FERRY_NATS_SERVER=${explicit} is not nats-server 2.${MIN_MINOR} or newer`);
    return explicit;
  }
  if (recentEnough(await versionOf('nats-server'))) return 'nats-server';
  const cached = cachedBinary();
  if (existsSync(cached) && recentEnough(await versionOf(cached))) return cached;
  if (!(await commandRuns('go', ['version']))) {
    throw new Error(
      `nats-server ${NATS_SERVER_VERSION} is needed and Go is not installed to build it. Install Go, or run:\n` +
        `  CGO_ENABLED=0 GOBIN=${join(cacheDir(), 'bin', `nats-server-${NATS_SERVER_VERSION}`)} go install github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}\n` +
        `or set FERRY_NATS_SERVER to a nats-server 2.${MIN_MINOR}+ binary, or NATS_URL to a running server with JetStream.`,
    );
  }
  log(`building nats-server ${NATS_SERVER_VERSION} with go install (once per machine) …`);
  await mkdir(join(cacheDir(), 'bin', `nats-server-${NATS_SERVER_VERSION}`), { recursive: true });
  await run('go', ['install', `github.com/nats-io/nats-server/v2@${NATS_SERVER_VERSION}`], {
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: join(cacheDir(), 'bin', `nats-server-${NATS_SERVER_VERSION}`) },
    maxBuffer: 16 * 1024 * 1024,
  });
  return cached;
}


export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface NatsServerOptions {
  readonly binary: string;
  readonly port: number;
  readonly storeDir: string;
  /** `always` (fsync before every ack) is what Ferry runs and ships; other values only for benchmarks. */
  readonly syncInterval?: string;
  readonly host?: string;
  /** JetStream's `max_file_store` (e.g. the chart's `8GB`); default: the server's (75% of the free disk). */
  readonly maxFileStore?: string;
  /** Clients must present this token; none: any client on the address may connect. */
  readonly token?: string;
}

export interface RunningNatsServer {
  readonly url: string;
  readonly process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts nats-server with JetStream on loopback and waits until it accepts connections. */
export async function startNatsServer(options: NatsServerOptions): Promise<RunningNatsServer> {
  // The config may hold the token: this user's alone.
  await mkdir(options.storeDir, { recursive: true, mode: 0o700 });
  const configPath = join(options.storeDir, 'nats-server.conf');
  const host = options.host ?? '127.0.0.1';
  await writeFile(
    configPath,
    [
      `listen: "${host}:${options.port}"`,
      'jetstream {',
      `  store_dir: ${JSON.stringify(options.storeDir)}`,
      `  sync_interval: ${options.syncInterval ?? 'always'}`,
      ...(options.maxFileStore === undefined ? [] : [`  max_file_store: ${options.maxFileStore}`]),
      '}',
      ...(options.token === undefined ? [] : [`authorization { token: ${JSON.stringify(options.token)} }`]),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await chmod(configPath, 0o600);
  const child = spawn(options.binary, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (output.length < 64 * 1024) output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!(await isListening(options.port, host))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not start on ${host}:${options.port}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `nats://${host}:${options.port}`,
    process: child,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
