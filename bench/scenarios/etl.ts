// Scenario 5, ETL: a `sql` group-by over generated orders (10M rows; 1M quick) as CSV and as Parquet,
// through Ferry for real, against pandas and polars doing the same in the same run.
//
// Every subject is one process measured by the same wrapper (bench/peers/etl/measure_process.py):
// rows/s = input rows / wall time of that process, spawn to exit — for Ferry the runner process the
// controller started (node start, copying the source into its temp folder, DuckDB, uploading the
// result), for the peers `python script.py` (interpreter start, import, read, group-by, write CSV).
// Peak RSS = the process's ru_maxrss from wait4. `engine s` is the in-process read + group-by +
// write (the runner's logged query time; the peers time the same span). The three results are
// compared every round and the scenario fails if they differ.
//
// Alone: ./node_modules/.bin/node bench/scenarios/etl.ts [--quick] [--rounds 3] [--rows 2000000] [--formats csv,parquet]
// Sizes: FERRY_BENCH_ETL_ROWS overrides both; the data is cached under ~/.cache/ferry/bench-data/.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureVenv } from '../../scripts/lib/python-venv.ts';
import { REPO_ROOT } from '../../test/support/paths.ts';
import type { Measurement } from '../lib/measurement.ts';
import { Collector, selected, type ScenarioOptions } from '../lib/scenario.ts';
import { ensureDataset, type EtlDataset, type EtlFormat } from './etl-data.ts';
import { ETL_SQL, FerryEtl, MEASURE_PROCESS, type ProcessReport } from './etl-ferry.ts';
import { assertResultsAgree, parseGroupResult, type GroupRow } from './etl-results.ts';

export interface EtlOptions extends ScenarioOptions {
  /** Overrides the size (else FERRY_BENCH_ETL_ROWS, else 1M quick / 10M full). */
  readonly rows?: number;
  readonly formats?: readonly EtlFormat[];
}

const FULL_ROWS = 10_000_000;
const QUICK_ROWS = 1_000_000;
const PEERS = ['pandas', 'polars'] as const;
type Subject = 'ferry' | (typeof PEERS)[number];
const PEERS_DIR = join(REPO_ROOT, 'bench', 'peers', 'etl');

/** One subject's run of one format. */
interface SubjectRun {
  readonly process: ProcessReport;
  readonly engineMs: number;
  readonly endToEndMs?: number;
  readonly fetchMs?: number;
  readonly result: GroupRow[];
}

export function etlRows(options: Pick<EtlOptions, 'quick' | 'rows'>): number {
  const fromEnv = process.env['FERRY_BENCH_ETL_ROWS'];
  const rows = options.rows ?? (fromEnv === undefined ? (options.quick ? QUICK_ROWS : FULL_ROWS) : Number(fromEnv));
  if (!Number.isSafeInteger(rows) || rows < 1) throw new Error(`etl: the row count must be a positive integer, not ${rows}`);
  return rows;
}

export async function run(options: EtlOptions): Promise<Measurement[]> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const rows = etlRows(options);
  const formats = options.formats ?? ['csv', 'parquet'];
  const collector = new Collector();
  const dataset = await ensureDataset(rows, log);
  // A peer that cannot run is reported missing; Ferry is still measured (the wrapper needs only python3).
  const peers = new Set<Subject>(PEERS.filter((peer) => selected(options, peer)));
  let python = process.env['FERRY_PYTHON'] ?? 'python3';
  if (peers.size > 0) {
    try {
      python = (await ensureVenv('etl', join(PEERS_DIR, 'requirements.txt'))).python;
    } catch (error) {
      for (const peer of peers) for (const format of formats) collector.missing(`etl ${format}`, peer, `no venv: ${String(error)}`);
      peers.clear();
    }
  }
  const withFerry = selected(options, 'ferry');
  const workDir = await mkdtemp(join(tmpdir(), 'ferry-bench-etl-'));
  const ferry = withFerry
    ? await FerryEtl.start(dataset, python, workDir).catch(async (error: unknown) => {
        await rm(workDir, { recursive: true, force: true });
        throw error;
      })
    : undefined;
  try {
    // Round 0 warms the page cache, the interpreters' imports and DuckDB's library; it is not recorded.
    for (let round = 0; round <= options.rounds; round += 1) {
      for (const format of formats) {
        const scenario = `etl ${format}`;
        const runs = new Map<Subject, SubjectRun>();
        if (ferry !== undefined) {
          const ferryRun = await ferry.runJob(format);
          runs.set('ferry', { ...ferryRun, result: parseGroupResult(ferryRun.resultCsv, 'ferry') });
        }
        for (const peer of PEERS) {
          if (!peers.has(peer)) continue;
          try {
            runs.set(peer, await runPeer(peer, format, dataset, python, workDir));
          } catch (error) {
            log(`etl: ${peer} FAILED: ${String(error)}`);
            for (const each of formats) collector.missing(`etl ${each}`, peer, `failed in round ${round}: ${String(error).slice(0, 600)}`);
            peers.delete(peer);
          }
        }
        // Different answers are a broken benchmark, not a slow subject: the whole scenario fails.
        const results = new Map([...runs].map(([subject, subjectRun]) => [subject, subjectRun.result] as const));
        const checksum = assertResultsAgree(results, rows, `${format} round ${round}`);
        const label = round === 0 ? 'warm-up' : `round ${round}/${options.rounds}`;
        log(`etl ${format} ${label}: ${[...runs].map(([subject, subjectRun]) => `${subject} ${(subjectRun.process.wallMs / 1000).toFixed(2)} s`).join(', ')}`);
        if (round === 0) continue;
        const add = (subject: Subject, metric: string, higherIsBetter: boolean, value: number): void =>
          collector.add(scenario, metric, subject, higherIsBetter, value, noteFor(metric, format, dataset, checksum));
        for (const [subject, subjectRun] of runs) {
          add(subject, 'rows/s', true, rows / (subjectRun.process.wallMs / 1000));
          add(subject, 'peak RSS MiB', false, subjectRun.process.maxRssKiB / 1024);
          add(subject, 'engine s', false, subjectRun.engineMs / 1000);
          add(subject, 'CPU s', false, (subjectRun.process.userMs + subjectRun.process.sysMs) / 1000);
          if (subjectRun.endToEndMs !== undefined) add(subject, 'submit→succeeded s', false, subjectRun.endToEndMs / 1000);
          if (subjectRun.fetchMs !== undefined) add(subject, 'source copy s', false, subjectRun.fetchMs / 1000);
        }
      }
    }
  } finally {
    await ferry?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
  return collector.measurements();
}

function noteFor(metric: string, format: EtlFormat, dataset: EtlDataset, checksum: string): string {
  const input = `${dataset.rows.toLocaleString('en')} rows, ${(dataset.bytes[format] / 1024 ** 2).toFixed(0)} MiB ${format}; group by city, category (${checksum})`;
  const engines =
    `Ferry: DuckDB threads ${process.env['FERRY_DUCKDB_THREADS'] ?? 2}, memory_limit ${process.env['FERRY_DUCKDB_MEMORY_LIMIT'] ?? '1GB'}; ` +
    'pandas: default read_csv/read_parquet with usecols (1 thread); polars: lazy scan, all cores';
  const what: Record<string, string> = {
    'rows/s': 'rows / wall time of the one process, spawn to exit (Ferry: the runner incl. node start, source copy, upload; peers: python incl. import)',
    'peak RSS MiB': 'ru_maxrss of that process (wait4), the same wrapper for all three',
    'engine s': 'in-process read + group-by + write of the result file (Ferry: the runner-logged DuckDB COPY)',
    'CPU s': 'user + system CPU of that process',
    'submit→succeeded s': 'POST /v1/jobs → the succeeded event on NATS, through gateway, controller and runner',
    'source copy s': "the runner copying the file:// source into its private temp folder (part of the runner's wall time)",
  };
  return `${what[metric] ?? metric}. ${input}. ${engines}`;
}

/** One peer script under the measuring wrapper; its stdout's last line is its JSON summary. */
async function runPeer(peer: (typeof PEERS)[number], format: EtlFormat, dataset: EtlDataset, python: string, workDir: string): Promise<SubjectRun> {
  const report = join(workDir, `${peer}-${format}.json`);
  const output = join(workDir, `${peer}-${format}.csv`);
  const script = join(PEERS_DIR, `${peer}_groupby.py`);
  const args = ['-I', MEASURE_PROCESS, report, '--', python, script, format, dataset.files[format], output];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
  });
  if (code !== 0) throw new Error(`etl: ${peer} ${format} exited ${code}:\n${stderr}`);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { engineMs?: number };
  if (typeof summary.engineMs !== 'number') throw new Error(`etl: ${peer} printed no summary:\n${stdout}`);
  return {
    process: JSON.parse(await readFile(report, 'utf8')) as ProcessReport,
    engineMs: summary.engineMs,
    result: parseGroupResult(await readFile(output, 'utf8'), peer),
  };
}

/** Median-per-metric lines for a development run. */
export function formatMeasurements(measurements: readonly Measurement[]): string {
  const median = (values: readonly number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
  };
  const show = (value: number): string => (Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en') : value.toPrecision(3));
  return measurements
    .map((m) => `${m.scenario.padEnd(26)} ${m.metric.padEnd(30)} ${m.subject.padEnd(18)} median ${show(median(m.samples)).padStart(12)}   [${m.samples.map(show).join(', ')}]`)
    .join('\n');
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '3' },
      rows: { type: 'string' },
      formats: { type: 'string', default: 'csv,parquet' },
    },
  });
  const started = performance.now();
  const measurements = await run({
    quick: values.quick,
    rounds: Number(values.rounds),
    ...(values.rows === undefined ? {} : { rows: Number(values.rows) }),
    formats: values.formats.split(',').map((format) => (format === 'parquet' ? 'parquet' : 'csv')),
  });
  console.log(`sql: ${ETL_SQL.replace(/\s+/g, ' ')}`);
  console.log(formatMeasurements(measurements));
  for (const m of measurements) if (m.subject === 'ferry' && m.metric === 'rows/s') console.log(`${m.scenario}: ${m.note ?? ''}`);
  console.log(`etl: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
}
