// Starts the peers of bench/peers/*: each as real processes on loopback, stopped with their workers.
// A peer's HTTP front answers the same small API whatever is behind it:
//   POST /jobs → {id} (enqueued; or {id, state: "succeeded"} when the pattern answers when done),
//   GET /jobs/:id → {id, state}, GET /jobs/:id/wait → {id, state} once the task finished,
//   GET /runs → {id: executions} (each no-op task counts its own runs, for lost / duplicated),
//   GET /runs/count → {count} (how many ids ran, for the burst's drain).
import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { ensureVenv, type PythonVenv } from '../../scripts/lib/python-venv.ts';
import { BenchProcess, waitForHttp } from './processes.ts';
import { startRedis, type RedisFsync, type RunningRedis } from './redis.ts';

export const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

export interface RunningPeer {
  readonly name: string;
  readonly url: string;
  stop(): Promise<void>;
}

export const PYTHON_PEERS = ['starlette', 'celery', 'rq', 'ray'] as const;

const venvs = new Map<string, Promise<PythonVenv>>();
/** The peer's venv from its pinned requirements (made once per machine, cached by the pins). */
export function venvOf(peer: string): Promise<PythonVenv> {
  let venv = venvs.get(peer);
  if (venv === undefined) {
    venv = ensureVenv(`bench-${peer}`, join(PEERS_DIR, peer, 'requirements.txt'));
    venvs.set(peer, venv);
  }
  return venv;
}

async function stopAll(parts: readonly ({ stop(): Promise<void> } | undefined)[]): Promise<void> {
  for (const part of parts) await part?.stop();
}

/** Starts `parts` in order; if one fails, stops those already started and rethrows. */
async function startTogether(name: string, url: string, starters: readonly (() => Promise<{ stop(): Promise<void> }>)[]): Promise<RunningPeer> {
  const started: { stop(): Promise<void> }[] = [];
  try {
    for (const start of starters) started.push(await start());
  } catch (error) {
    await stopAll([...started].reverse());
    throw error;
  }
  return { name, url, stop: () => stopAll([...started].reverse()) };
}

function uvicorn(venv: PythonVenv, peer: string, module: string, port: number, workers: number, env: Record<string, string> = {}): BenchProcess {
  return BenchProcess.start(
    `${peer} uvicorn`,
    venv.python,
    ['-m', 'uvicorn', module, '--host', '127.0.0.1', '--port', String(port), '--workers', String(workers), '--loop', 'uvloop', '--http', 'httptools', '--no-access-log', '--log-level', 'warning'],
    { cwd: join(PEERS_DIR, peer), env: { ...process.env, ...env } },
  );
}

async function started(process: BenchProcess, url: string, timeoutMs = 60_000): Promise<{ stop(): Promise<void> }> {
  await waitForHttp(url, process, timeoutMs);
  return process;
}

/** Starlette + uvicorn, 2 workers, uvloop and httptools: `GET /`, `POST /echo`. */
export async function startStarlette(): Promise<RunningPeer> {
  const venv = await venvOf('starlette');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startTogether('starlette+uvicorn', url, [() => started(uvicorn(venv, 'starlette', 'app:app', port, 2), `${url}/`)]);
}

/** Bare Fastify, one process: the Node ceiling for the HTTP floor. */
export async function startBareFastify(): Promise<RunningPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = BenchProcess.start('bare fastify', process.execPath, [join(PEERS_DIR, 'fastify', 'server.ts')], { env: { ...process.env, PORT: String(port) } });
  return startTogether('fastify (bare)', url, [() => started(server, `${url}/`)]);
}

export interface QueuePeerOptions {
  readonly fsync: RedisFsync;
  /** Start the workers too (dispatch, burst); intake measures the enqueue alone. */
  readonly workers: boolean;
}

function withRedis(options: QueuePeerOptions, startRest: (redis: RunningRedis) => Promise<RunningPeer>): Promise<RunningPeer> {
  return (async () => {
    const redis = await startRedis(options.fsync);
    try {
      const rest = await startRest(redis);
      return {
        name: rest.name,
        url: rest.url,
        async stop() {
          await rest.stop();
          await redis.stop();
        },
      };
    } catch (error) {
      await redis.stop();
      throw error;
    }
  })();
}

/** Fastify + BullMQ: the front adds a job; a Worker (concurrency 4, like Ferry's local slots) runs it. */
export function startBullmq(options: QueuePeerOptions): Promise<RunningPeer> {
  return withRedis(options, async (redis) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, PORT: String(port), REDIS_URL: redis.url };
    const dir = join(PEERS_DIR, 'bullmq');
    return startTogether('bullmq+fastify', url, [
      () => started(BenchProcess.start('bullmq front', process.execPath, [join(dir, 'server.ts')], { env }), `${url}/`),
      ...(options.workers ? [() => Promise.resolve(BenchProcess.start('bullmq worker', process.execPath, [join(dir, 'worker.ts')], { env }))] : []),
    ]);
  });
}

/** Starlette (2 uvicorn workers) + Celery on Redis; worker: prefork, 2 processes. */
export function startCelery(options: QueuePeerOptions): Promise<RunningPeer> {
  return withRedis(options, async (redis) => {
    const venv = await venvOf('celery');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, REDIS_URL: redis.url };
    const worker = ['-m', 'celery', '-A', 'tasks', 'worker', '--pool', 'prefork', '--concurrency', '2', '--loglevel', 'WARNING', '--without-gossip', '--without-mingle'];
    return startTogether('celery+starlette', url, [
      () => started(uvicorn(venv, 'celery', 'web:app', port, 2, { REDIS_URL: redis.url }), `${url}/`),
      ...(options.workers ? [() => Promise.resolve(BenchProcess.start('celery worker', venv.python, worker, { cwd: join(PEERS_DIR, 'celery'), env }))] : []),
    ]);
  });
}

/** Starlette (2 uvicorn workers) + RQ on Redis; `rq worker-pool -n 2`, each worker forks a horse per job. */
export function startRq(options: QueuePeerOptions): Promise<RunningPeer> {
  return withRedis(options, async (redis) => {
    const venv = await venvOf('rq');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env = { ...process.env, REDIS_URL: redis.url };
    const worker = [join(venv.bin, 'rq'), 'worker-pool', '--num-workers', '2', '--url', redis.url, '--logging-level', 'WARNING', 'bench'];
    return startTogether('rq+starlette', url, [
      () => started(uvicorn(venv, 'rq', 'web:app', port, 2, { REDIS_URL: redis.url }), `${url}/`),
      ...(options.workers ? [() => Promise.resolve(BenchProcess.start('rq worker-pool', venv.python, worker, { cwd: join(PEERS_DIR, 'rq'), env }))] : []),
    ]);
  });
}

export interface RayCluster {
  readonly address: string;
  /** The dashboard, whose REST API is the Ray Jobs API. */
  readonly dashboardUrl: string;
  readonly venv: PythonVenv;
  stop(): Promise<void>;
}

/** A single-node Ray cluster (`ray start --head`, 2 CPUs, a small object store), stopped with `ray stop`. */
export async function startRayCluster(): Promise<RayCluster> {
  const venv = await venvOf('ray');
  const ray = join(venv.bin, 'ray');
  const [gcsPort, dashboardPort] = [await freePort(), await freePort()];
  const tempDir = await mkdtemp(join(tmpdir(), 'ray-'));
  const env = { ...process.env, RAY_USAGE_STATS_ENABLED: '0' };
  const args = ['start', '--head', '--port', String(gcsPort), '--num-cpus', '2', '--include-dashboard', 'true', '--dashboard-host', '127.0.0.1'];
  args.push('--dashboard-port', String(dashboardPort), '--object-store-memory', String(200 * 1024 * 1024), '--temp-dir', tempDir, '--disable-usage-stats');
  const start = BenchProcess.start('ray start', ray, args, { env });
  const code = await start.exited;
  const stop = async (): Promise<void> => {
    const stopper = BenchProcess.start('ray stop', ray, ['stop', '--force'], { env });
    await stopper.exited;
    await rm(tempDir, { recursive: true, force: true });
  };
  if (code !== 0) {
    await stop();
    throw new Error(`ray start failed (${code}):\n${start.output}`);
  }
  const dashboardUrl = `http://127.0.0.1:${dashboardPort}`;
  try {
    await waitForHttp(`${dashboardUrl}/api/version`, undefined, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: `127.0.0.1:${gcsPort}`, dashboardUrl, venv, stop };
}

/** Starlette (1 uvicorn worker, a Ray driver) answering each job request by creating a Ray actor. */
export async function startRayActorFront(cluster: RayCluster): Promise<RunningPeer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startTogether('ray actor/request', url, [() => started(uvicorn(cluster.venv, 'ray', 'web:app', port, 1, { RAY_ADDRESS: cluster.address }), `${url}/`, 90_000)]);
}
