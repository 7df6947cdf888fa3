// Scenario 6, footprint: the memory Ferry costs on the machine it runs on.
//
// Each round starts a fresh system (nats-server, gateway, controller as processes, production
// defaults but for the ports, keys and FERRY_MAX_CONCURRENT = the burst size) and measures:
// - idle: VmRSS and VmHWM of the gateway, the controller and nats-server after start + a settle time,
//   next to a bare `node -e` process (Node's own floor) started at the same moment;
// - per job, local executor: N `sleep` jobs submitted at once, all in flight (N ≤ the admission limit):
//   the controller's RSS growth over idle / N, and the runners' RSS and PSS summed / N (PSS counts the
//   pages all runners share — the node binary, V8's code — once, so it is what each job really adds);
// - the runner's floor: the peak RSS (wait4 ru_maxrss) of one runner process doing `sleep 0`, next to
//   `node -e ''` measured the same way (bench/peers/etl/measure_process.py).
//
// Alone: ./node_modules/.bin/node bench/scenarios/footprint.ts [--quick] [--rounds 3] [--jobs 50]
// FERRY_BENCH_FOOTPRINT_JOBS overrides N (default 20 quick, 50 full).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { TEST_KEYS } from '../../test/support/gateway.ts';
import { CONTROLLER_MAIN, GATEWAY_MAIN, REPO_ROOT, RUNNER_MAIN } from '../../test/support/paths.ts';
import { FerrySystem } from '../../test/support/system.ts';
import type { Api } from '../../test/support/api.ts';
import { PRODUCTION_TIMERS } from '../lib/ferry.ts';
import type { Measurement } from '../lib/measurement.ts';
import { selected, type ScenarioOptions } from '../lib/scenario.ts';
import { childProcesses, childRunning, MiB, readMemory, type ProcessMemory } from '../lib/proc.ts';

export interface FootprintOptions extends ScenarioOptions {
  /** Jobs in flight at once (else FERRY_BENCH_FOOTPRINT_JOBS, else 20 quick / 50 full). */
  readonly jobs?: number;
}

const MEASURE_PROCESS = join(REPO_ROOT, 'bench', 'peers', 'etl', 'measure_process.py');
const NODE_BARE = 'node -e';

interface Sample {
  readonly scenario: string;
  readonly metric: string;
  readonly subject: string;
  readonly value: number;
  readonly note: string;
}

export async function run(options: FootprintOptions): Promise<Measurement[]> {
  // Only Ferry's processes here; `node -e` is their reference, measured alongside.
  if (!selected(options, 'ferry')) return [];
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const jobs = options.jobs ?? Number(process.env['FERRY_BENCH_FOOTPRINT_JOBS'] ?? (options.quick ? 20 : 50));
  if (!Number.isSafeInteger(jobs) || jobs < 1) throw new Error(`footprint: the job count must be a positive integer, not ${jobs}`);
  const settleMs = options.quick ? 5_000 : 15_000;
  // Long enough for all N runners to start on two busy cores before the first one finishes.
  const sleepSeconds = Math.max(10, Math.ceil(jobs * 0.5));
  const samples: Sample[][] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    const roundSamples = [...(await measureSystem(jobs, settleMs, sleepSeconds)), ...(await measureRunnerFloor())];
    log(`footprint round ${round}/${options.rounds}: ${roundSamples.map((s) => `${s.subject} ${s.metric} ${s.value.toFixed(1)}`).join('; ')}`);
    samples.push(roundSamples);
  }
  const measurements = new Map<string, Measurement & { samples: number[] }>();
  for (const sample of samples.flat()) {
    const key = `${sample.scenario}|${sample.metric}|${sample.subject}`;
    const entry = measurements.get(key) ?? { scenario: sample.scenario, metric: sample.metric, subject: sample.subject, higherIsBetter: false, samples: [], note: sample.note };
    entry.samples.push(sample.value);
    measurements.set(key, entry);
  }
  return [...measurements.values()];
}

/** One fresh system: idle memory after settling, then N sleep jobs in flight. */
async function measureSystem(jobs: number, settleMs: number, sleepSeconds: number): Promise<Sample[]> {
  // Production defaults where the test harness tunes them (FerrySystem is made for fast tests).
  const controllerEnv = {
    FERRY_PIPELINES: join(REPO_ROOT, 'pipelines', 'catalog.yaml'),
    FERRY_MAX_CONCURRENT: String(jobs),
    ...PRODUCTION_TIMERS,
    LOG_LEVEL: 'info',
  };
  const system = await FerrySystem.start({ gatewayEnv: { LOG_LEVEL: 'info', FERRY_PIPELINES: controllerEnv.FERRY_PIPELINES }, controllerEnv });
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  try {
    const gateway = childRunning(process.pid, GATEWAY_MAIN);
    const controller = childRunning(process.pid, CONTROLLER_MAIN);
    const nats = childRunning(process.pid, 'nats-server');
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const idleNote = `after start + ${settleMs / 1000} s idle; LOG_LEVEL info, production catalog and controller defaults`;
    const idle: Sample[] = [];
    for (const [subject, pid] of [['ferry gateway', gateway], ['ferry controller', controller], ['nats-server', nats], [NODE_BARE, bare.pid ?? -1]] as const) {
      const memory = await required(pid, subject);
      idle.push({ scenario: 'footprint idle', metric: 'RSS MiB', subject, value: MiB(memory.rssKiB), note: `VmRSS ${idleNote}` });
      idle.push({ scenario: 'footprint idle', metric: 'peak RSS MiB', subject, value: MiB(memory.hwmKiB), note: `VmHWM (start-up included) ${idleNote}` });
    }
    const controllerIdle = await required(controller, 'ferry controller');
    return [...idle, ...(await measureBurst(system.api(TEST_KEYS.acme), controller, controllerIdle, jobs, sleepSeconds))];
  } finally {
    bare.kill();
    await system.stop();
  }
}

/** N sleep jobs at once; one sample once all N runners are up and have settled. */
async function measureBurst(api: Api, controller: number, idle: ProcessMemory, jobs: number, sleepSeconds: number): Promise<Sample[]> {
  const runner = basename(RUNNER_MAIN);
  const isRunner = (argv: readonly string[]): boolean => argv.some((arg) => arg === RUNNER_MAIN || arg.endsWith(`/runner/dist/${runner}`));
  const submitted = performance.now();
  const ids = await Promise.all(
    Array.from({ length: jobs }, async () => {
      const response = await api.post<{ id: string }>('/v1/jobs', { pipeline: 'sleep', params: { seconds: sleepSeconds }, maxAttempts: 1 });
      if (response.status !== 202) throw new Error(`footprint: POST /v1/jobs answered ${response.status}: ${response.text}`);
      return response.body.id;
    }),
  );
  let runners: number[] = [];
  while ((runners = childProcesses(controller, isRunner)).length < jobs) {
    if (performance.now() - submitted > sleepSeconds * 1000) {
      throw new Error(`footprint: only ${runners.length} of ${jobs} runners were in flight at once; raise the sleep or check FERRY_MAX_CONCURRENT`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const allUpMs = performance.now() - submitted;
  // Let the last runners finish starting (module loading) before sampling.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const memories = (await Promise.all(runners.map(readMemory))).filter((memory) => memory !== undefined);
  const controllerBusy = await required(controller, 'ferry controller');
  if (memories.length < jobs) throw new Error(`footprint: ${jobs - memories.length} runners exited before the sample; raise the sleep`);
  await waitAllSucceeded(api, ids, sleepSeconds * 1000 + 60_000);

  const sum = (pick: (memory: ProcessMemory) => number): number => memories.reduce((total, memory) => total + pick(memory), 0);
  const controllerGrowth = MiB(controllerBusy.rssKiB - idle.rssKiB) / jobs;
  const runnerPss = MiB(sum((memory) => memory.pssKiB)) / jobs;
  const note = `${jobs} sleep ${sleepSeconds} s jobs in flight at once (all up ${(allUpMs / 1000).toFixed(1)} s after the first POST), sampled 1 s later; local executor, one runner process each`;
  return [
    { scenario: 'footprint per job', metric: 'controller MiB/job', subject: 'ferry', value: controllerGrowth, note: `controller VmRSS growth over idle / N. ${note}` },
    { scenario: 'footprint per job', metric: 'runner RSS MiB/job', subject: 'ferry', value: MiB(sum((memory) => memory.rssKiB)) / jobs, note: `Σ runner VmRSS / N (shared pages counted N times). ${note}` },
    { scenario: 'footprint per job', metric: 'runner PSS MiB/job', subject: 'ferry', value: runnerPss, note: `Σ runner Pss / N (shared pages split between them). ${note}` },
    { scenario: 'footprint per job', metric: 'total MiB/job', subject: 'ferry', value: controllerGrowth + runnerPss, note: `controller growth + runner PSS, per job. ${note}` },
  ];
}

/** Peak RSS of a runner doing `sleep 0`, and of `node -e ''`, by wait4 through the same wrapper. */
async function measureRunnerFloor(): Promise<Sample[]> {
  const workDir = await mkdtemp(join(tmpdir(), 'ferry-bench-footprint-'));
  try {
    const spec = JSON.stringify({ id: 'bench', tenant: 'bench', pipeline: 'sleep', kind: 'sleep', attempt: 1, params: { seconds: 0 } });
    const runner = await peakRss(workDir, [process.execPath, RUNNER_MAIN], { FERRY_JOB: spec });
    const bare = await peakRss(workDir, [process.execPath, '-e', '']);
    const note = 'ru_maxrss (wait4) of the whole process, start to exit';
    return [
      { scenario: 'footprint runner floor', metric: 'peak RSS MiB', subject: 'ferry', value: MiB(runner), note: `runner process, sleep 0 job; ${note}` },
      { scenario: 'footprint runner floor', metric: 'peak RSS MiB', subject: NODE_BARE, value: MiB(bare), note: `node -e ''; ${note}` },
    ];
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function peakRss(workDir: string, command: readonly string[], env: Record<string, string> = {}): Promise<number> {
  const report = join(workDir, 'report.json');
  const python = process.env['FERRY_PYTHON'] ?? 'python3';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(python, [MEASURE_PROCESS, report, '--', ...command], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`footprint: ${command.join(' ')} exited ${code}`);
  const { maxRssKiB } = JSON.parse(await readFile(report, 'utf8')) as { maxRssKiB: number };
  return maxRssKiB;
}

async function required(pid: number, what: string): Promise<ProcessMemory> {
  const memory = await readMemory(pid);
  if (memory === undefined) throw new Error(`footprint: ${what} (pid ${pid}) is gone`);
  return memory;
}

async function waitAllSucceeded(api: Api, ids: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const pending = new Set(ids);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      const job = (await api.get<{ state: string; reason?: string }>(`/v1/jobs/${id}`)).body;
      if (job.state === 'succeeded') pending.delete(id);
      else if (job.state === 'failed' || job.state === 'cancelled') throw new Error(`footprint: sleep job ${id} ended ${job.state} (${job.reason})`);
    }
    if (pending.size === 0) return;
    if (performance.now() > deadline) throw new Error(`footprint: ${pending.size} sleep jobs did not succeed in time`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string', default: '3' }, jobs: { type: 'string' } } });
  const started = performance.now();
  const measurements = await run({ quick: values.quick, rounds: Number(values.rounds), ...(values.jobs === undefined ? {} : { jobs: Number(values.jobs) }) });
  for (const m of measurements) {
    console.log(`${m.scenario.padEnd(24)} ${m.metric.padEnd(20)} ${m.subject.padEnd(18)} median ${median(m.samples).toFixed(1).padStart(7)}   [${m.samples.map((v) => v.toFixed(1)).join(', ')}]`);
  }
  const notes = new Set(measurements.map((m) => `${m.scenario}: ${m.note ?? ''}`));
  for (const note of notes) console.log(note);
  console.log(`footprint: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
}
