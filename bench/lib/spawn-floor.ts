// The process-spawn floor: what starting Ferry's runner for a `sleep 0` job costs on this machine
// with nothing around it (no NATS, no reporting): spawn, run, exit.
import { spawn } from 'node:child_process';
import { inClosedLoops } from './closed-loops.ts';
import { RUNNER_MAIN } from './ferry.ts';

const SPEC = JSON.stringify({ id: 'bench', tenant: 'bench', pipeline: 'sleep', kind: 'sleep', attempt: 1, params: { seconds: 0 } });

export function spawnRunner(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER_MAIN], { env: { ...process.env, FERRY_JOB: SPEC }, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`runner exited ${code}`))));
  });
}

/** `count` spawns, `concurrency` at a time: their latencies and the wall time of the whole. */
export async function spawnMany(count: number, concurrency: number): Promise<{ latencies: number[]; elapsedMs: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  await inClosedLoops(count, concurrency, async () => void latencies.push(await spawnRunner()));
  return { latencies, elapsedMs: performance.now() - started };
}
