import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureVenv, type PythonVenv } from '../../scripts/lib/python-venv.ts';
import { TEST_KEYS } from '../support/gateway.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { FerrySystem, isFinal, waitForJob } from '../support/system.ts';
import { listJobIds } from '../support/jobs.ts';
import { expectGatewayReady, fuzzSystemOptions } from './support/jobs.ts';
import { problemViolation } from './support/problem.ts';

// Schemathesis against the gateway's own /openapi.json, authenticated as tenant acme: every
// operation, every phase (examples, coverage, fuzzing, stateful), a bounded number of cases each.
// Its checks judge status codes, content types, headers and bodies against the document; this file
// then reads every recorded exchange itself: no 5xx, every error a problem document, nothing stored
// that no 202 announced, and the gateway still ready.
//
// Checks: all of schemathesis' built-in ones (a method a path does not have is a 405 problem with
// `Allow`, which `unsupported_method` and `allow_header_conformance` judge), but one:
// `positive_data_acceptance` also takes 422 from POST /v1/jobs: the
// document states shape and the global bounds (a miss is a 400), while the catalog (which pipeline,
// its params schema, its maxima) decides the rest at run time (a miss is a 422, docs/architecture.md §4). And
// `ensure_resource_availability` is off: a job just created has no result yet, a documented 404,
// not a lost resource (the stateful phase follows the link to …/result); that created jobs exist
// is checked here instead.

const EXAMPLES = Number(process.env['FERRY_FUZZ_EXAMPLES'] ?? 60);
const SEED = Number(process.env['FERRY_FUZZ_SEED'] ?? 20261129);
const OPERATIONS = [
  'GET /v1/pipelines',
  'POST /v1/jobs',
  'GET /v1/jobs',
  'GET /v1/jobs/{id}',
  'POST /v1/jobs/{id}/cancel',
  'GET /v1/jobs/{id}/events',
  'GET /v1/jobs/{id}/logs',
  'GET /v1/jobs/{id}/result',
  'GET /v1/usage',
];

interface HarEntry {
  readonly time: number;
  readonly request: { readonly method: string; readonly url: string };
  readonly response: {
    readonly status: number;
    readonly headers: readonly { readonly name: string; readonly value: string }[];
    readonly content: { readonly text?: string; readonly encoding?: string };
  };
}

interface RunReport {
  readonly running_time: number;
  readonly exit_code: number;
  readonly operations: { readonly total: number; readonly tested: number; readonly errored: number };
  readonly test_cases: { readonly generated: number; readonly with_failures: number; readonly errored: number };
  readonly failures: readonly unknown[];
  readonly errors: readonly unknown[];
}

let system: FerrySystem;
let venv: PythonVenv;
let work: string;

beforeAll(async () => {
  [venv, system] = await Promise.all([ensureVenv('schemathesis', join(REPO_ROOT, 'test', 'fuzz', 'requirements.txt')), FerrySystem.start(fuzzSystemOptions)]);
  work = await mkdtemp(join(tmpdir(), 'ferry-schemathesis-'));
});
afterAll(async () => {
  await system?.stop();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('schemathesis against /openapi.json', () => {
  it('finds no 5xx, no error that is not a problem document, no stray job, and leaves the gateway ready', async () => {
    const seeds = await seedJobs(system);
    await writeFile(join(work, 'schemathesis.toml'), schemathesisConfig(seeds));
    const reportDir = join(work, 'report');
    const started = Date.now();
    const run = await runProcess(
      join(venv.bin, 'schemathesis'),
      [
        'run',
        `${system.gateway.url}/openapi.json`,
        '--header',
        `Authorization: Bearer ${TEST_KEYS.acme}`,
        '--max-examples',
        String(EXAMPLES),
        '--seed',
        String(SEED),
        '--checks',
        'all',
        '--exclude-checks',
        'ensure_resource_availability',
        '--request-timeout',
        '30',
        '--generation-database',
        'none',
        '--report',
        'har,json,junit',
        '--report-dir',
        reportDir,
        '--no-color',
      ],
      work,
    );
    const seconds = (Date.now() - started) / 1000;
    const report = JSON.parse(await readReport(reportDir, 'json')) as RunReport;
    const entries = (JSON.parse(await readReport(reportDir, 'har')) as { log: { entries: HarEntry[] } }).log.entries;
    console.log(
      `schemathesis: seed ${SEED}, ${EXAMPLES} examples/operation, ${report.operations.tested}/${report.operations.total} operations, ` +
        `${report.test_cases.generated} cases, ${entries.length} requests, ${report.failures.length} failures, ${report.errors.length} errors, ` +
        `${seconds.toFixed(1)} s (exit ${run.code})`,
    );

    // Schemathesis' own verdict, with its report in the failure message.
    expect(run.code, run.output.slice(-20_000)).toBe(0);
    expect(report.failures).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.operations).toMatchObject({ total: OPERATIONS.length, tested: OPERATIONS.length, errored: 0 });

    // Every exchange it made, read again here: never a 5xx, every error a problem document.
    const serverErrors = entries.filter((entry) => entry.response.status >= 500).map(summarize);
    expect(serverErrors).toEqual([]);
    const badProblems = entries
      .filter((entry) => entry.response.status >= 400)
      .flatMap((entry) => {
        const why = problemViolation(entry.response.status, header(entry, 'content-type'), bodyOf(entry));
        return why === undefined ? [] : [`${summarize(entry)}: ${why}`];
      });
    expect(badProblems).toEqual([]);

    // The run reached past validation on every operation: each answered a success and an error.
    const statuses = new Map<string, Set<number>>();
    for (const entry of entries) {
      const operation = operationOf(entry);
      statuses.set(operation, (statuses.get(operation) ?? new Set()).add(entry.response.status));
    }
    console.log([...statuses].map(([operation, seen]) => `  ${operation}: ${[...seen].sort().join(' ')}`).join('\n'));
    for (const operation of OPERATIONS) {
      const seen = [...(statuses.get(operation) ?? [])];
      expect(seen.some((status) => status < 300), `${operation} answered ${seen.join(', ')}`).toBe(true);
      expect(seen.some((status) => status >= 400), `${operation} answered ${seen.join(', ')}`).toBe(true);
    }
    expect([...(statuses.get('POST /v1/jobs') ?? [])]).toEqual(expect.arrayContaining([202, 400, 401, 415, 422]));

    // Bad input changed nothing: the tenant's jobs are exactly the seeds and those a 202 announced.
    const announced = entries
      .filter((entry) => operationOf(entry) === 'POST /v1/jobs' && entry.response.status === 202)
      .map((entry) => (JSON.parse(bodyOf(entry)) as { id: string }).id);
    const listed = await listJobIds(system.api(TEST_KEYS.acme));
    expect(new Set(listed)).toEqual(new Set([...Object.values(seeds), ...announced]));
    expect(await listJobIds(system.api(TEST_KEYS.globex))).toEqual([]);

    await expectGatewayReady(system);
  });
});

interface SeedJobs {
  readonly succeeded: string;
  readonly failed: string;
  readonly withResult: string;
  readonly cancelled: string;
  readonly running: string;
}

/** Jobs in each final state (one with a result) and one running, for the fuzzer's `{id}` values. */
async function seedJobs(ferry: FerrySystem): Promise<SeedJobs> {
  const api = ferry.api(TEST_KEYS.acme);
  const submit = async (body: unknown): Promise<string> => {
    const response = await api.post<{ id: string }>('/v1/jobs', body);
    expect(response.status, response.text).toBe(202);
    return response.body.id;
  };
  const succeeded = await submit({ pipeline: 'anything', params: { note: 'seed' }, labels: { team: 'fuzz' } });
  const failed = await submit({ pipeline: 'fail', params: { exitCode: 2 } });
  const withResult = await submit({
    pipeline: 'sql',
    params: { sources: { orders: { url: `file://${REPO_ROOT}/data/samples/orders.csv`, format: 'csv' } }, sql: 'SELECT count(*) AS n FROM orders' },
  });
  const cancelled = await submit({ pipeline: 'sleep', params: { seconds: 9 } });
  await waitForJob(api, cancelled, (job) => job.state === 'running');
  expect((await api.post(`/v1/jobs/${cancelled}/cancel`)).status).toBe(202);
  for (const id of [succeeded, failed, withResult, cancelled]) await waitForJob(api, id, isFinal);
  expect((await api.get(`/v1/jobs/${withResult}`)).body.result).not.toBeNull();
  // Runs for the fuzz's first seconds (cancel → 202), then ends (cancel → 409), as the catalog caps it.
  const running = await submit({ pipeline: 'sleep', params: { seconds: 8 } });
  return { succeeded, failed, withResult, cancelled, running };
}

/**
 * Lets the fuzzer name real jobs: half the `{id}` values come from the seeds (only final jobs for
 * the streaming routes, so a stream ends), most submissions name a catalog pipeline.
 */
function schemathesisConfig(seeds: SeedJobs): string {
  const list = (values: readonly string[]): string => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;
  const final = [seeds.succeeded, seeds.failed, seeds.withResult, seeds.cancelled];
  return `
[dictionaries.final-jobs]
values = ${list(final)}

[dictionaries.any-jobs]
values = ${list([...final, seeds.running])}

[dictionaries.pipelines]
values = ${list(['anything', 'anything', 'anything', 'sleep', 'fail', 'sql', 'no-such-pipeline'])}

[parameters]
"body.pipeline" = { dictionary = "pipelines", probability = 0.7 }

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "404", "409", "422", "429"]

[[operations]]
include-operation-id = ["JobsController_get", "JobsController_cancel"]
parameters = { "path.id" = { dictionary = "any-jobs", probability = 0.5 } }

[[operations]]
include-operation-id = ["JobOutputController_events", "JobOutputController_logs", "JobOutputController_result"]
parameters = { "path.id" = { dictionary = "final-jobs", probability = 0.5 } }

`;
}

function operationOf(entry: HarEntry): string {
  const path = new URL(entry.request.url).pathname;
  const template = path.startsWith('/v1/jobs/') ? path.replace(/^\/v1\/jobs\/[^/]+/, '/v1/jobs/{id}') : path;
  return `${entry.request.method} ${template}`;
}

function header(entry: HarEntry, name: string): string | undefined {
  return entry.response.headers.find((item) => item.name.toLowerCase() === name)?.value;
}

function bodyOf(entry: HarEntry): string {
  const { text = '', encoding } = entry.response.content;
  return encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : text;
}

function summarize(entry: HarEntry): string {
  return `${entry.request.method} ${entry.request.url} → ${entry.response.status} ${bodyOf(entry).slice(0, 300)}`;
}

async function readReport(dir: string, kind: 'json' | 'har'): Promise<string> {
  const name = (await readdir(dir)).find((file) => file.startsWith(`${kind}-`) && file.endsWith('.json'));
  if (name === undefined) throw new Error(`schemathesis wrote no ${kind} report in ${dir}`);
  return readFile(join(dir, name), 'utf8');
}

function runProcess(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}
