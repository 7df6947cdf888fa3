// `npm run bench` / `npm run bench:quick`: every scenario for Ferry and its peers, rounds
// alternating subjects, medians and Ferry/peer ratios printed and written to bench/results/.
// Options: --quick, --rounds N, --scenarios http-floor,intake,…, --only ferry,celery (subject prefixes),
// --burst-jobs N, --burst-rounds N, --out DIR.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureNatsServer } from '../scripts/lib/nats-server.ts';
import { describeMachine } from './lib/machine.ts';
import type { Measurement } from './lib/measurement.ts';
import { PYTHON_PEERS, venvOf } from './lib/peers.ts';
import { killAll } from './lib/processes.ts';
import { ensureRedis } from './lib/redis.ts';
import { markdown, textTable, toRows } from './lib/report.ts';
import { MISSING, type ScenarioOptions } from './lib/scenario.ts';

const SCENARIOS = ['http-floor', 'intake', 'dispatch', 'burst', 'etl', 'footprint'] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    scenarios: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    'burst-jobs': { type: 'string' },
    'burst-rounds': { type: 'string' },
  },
});
const quick = values.quick;
const rounds = Number(values.rounds ?? (quick ? 1 : 3));
const scenarios = values.scenarios === undefined ? [...SCENARIOS] : values.scenarios.split(',');
const log = (line: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const options: ScenarioOptions = {
  quick,
  rounds,
  log,
  ...(values.only === undefined ? {} : { subjects: values.only.split(',') }),
  ...(values['burst-jobs'] === undefined ? {} : { burstJobs: Number(values['burst-jobs']) }),
  ...(values['burst-rounds'] === undefined ? {} : { burstRounds: Number(values['burst-rounds']) }),
};

process.once('SIGINT', () => {
  killAll();
  process.exit(130);
});

const startedAt = new Date();
const natsServer = await ensureNatsServer(log);
await ensureRedis(log);
// The peers' venvs are made before any round, so no install lands inside a measurement.
await Promise.all(PYTHON_PEERS.map((peer) => venvOf(peer)));

const measurements: Measurement[] = [];
for (const scenario of scenarios) {
  const file = fileURLToPath(new URL(`./scenarios/${scenario}.ts`, import.meta.url));
  if (!existsSync(file)) {
    log(`${scenario}: no bench/scenarios/${scenario}.ts, skipped`);
    continue;
  }
  const module = (await import(pathToFileURL(file).href)) as { run: (options: ScenarioOptions) => Promise<Measurement[]> };
  const started = Date.now();
  try {
    measurements.push(...(await module.run(options)));
  } catch (error) {
    log(`${scenario}: FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    measurements.push({ scenario, metric: MISSING, subject: 'all', higherIsBetter: true, samples: [], note: `the scenario failed: ${String(error)}` });
  }
  log(`${scenario}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const wallSeconds = (Date.now() - startedAt.getTime()) / 1000;
const machine = await describeMachine(natsServer);
const rows = toRows(measurements);
const command = `npm run bench${quick ? ':quick' : ''}${process.argv.length > (quick ? 3 : 2) ? ` -- ${process.argv.slice(2).filter((arg) => arg !== '--quick').join(' ')}` : ''}`;
const outDir = values.out ?? fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(outDir, { recursive: true });
const base = quick ? 'latest-quick' : 'latest';
await writeFile(join(outDir, `${base}.json`), `${JSON.stringify({ startedAt: startedAt.toISOString(), command, wallSeconds: Math.round(wallSeconds), quick, rounds, machine, rows }, null, 2)}\n`);
await writeFile(join(outDir, `${base}.md`), markdown(rows, machine, command, wallSeconds, startedAt.toISOString()));

console.log(`\n${machine.cpu}, ${machine.cores} cores, Linux ${machine.kernel}, Node ${machine.node}, Python ${machine.python}; ${rounds} round(s); ${Math.round(wallSeconds)} s\n`);
console.log(textTable(rows));
const missing = rows.filter((row) => row.metric === MISSING);
console.log(`\nwritten: ${join(outDir, `${base}.json`)}, ${join(outDir, `${base}.md`)}`);
if (missing.length > 0) {
  console.error(`\n${missing.length} subject(s) missing: ${missing.map((row) => `${row.scenario}/${row.subject}`).join(', ')}`);
  process.exitCode = 1;
}
const broken = rows.filter((row) => (row.metric === 'lost' || row.metric === 'duplicated') && row.samples.some((value) => value > 0));
if (broken.length > 0) {
  console.error(`\njobs lost or duplicated: ${broken.map((row) => `${row.subject} ${row.metric} ${row.samples.join('/')}`).join(', ')}`);
  process.exitCode = 1;
}
