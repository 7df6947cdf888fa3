import { mkdir } from 'node:fs/promises';
import { ExitCode, RUNNER_ENV } from '@ferry/contracts/runner';
import { CONTENT_TYPES, FILE_EXTENSIONS } from '../result/data-format.js';
import { uploadResult } from '../result/result.uploader.js';
import { missingVariable, type RunnerConfig } from '../runner.config.js';
import { permanent, RunnerReason } from '../runner.failure.js';
import { fetchSource } from '../sources/source.fetcher.js';
import { SourcePolicy } from '@ferry/source-policy';
import { DiskGuard } from '../support/disk.guard.js';
import { PrivateFolder } from '../support/private-folder.js';
import { formatBytes } from '../support/size-limit.js';
import type { SqlSession } from '../sql/duckdb.session.js';
import { parseSqlParams, type SqlParams } from './params.parser.js';
import type { PipelineContext } from './pipeline.js';

/** Progress percentages of the steps: fetching is most of the wait for typical jobs. */
const PERCENT = { fetched: 50, queried: 90, uploaded: 100 } as const;

/**
 * Fetches the sources into a private temp folder, runs the one SELECT in a locked-down DuckDB, writes
 * the result file and uploads it once. The temp folder goes on every path out, the stop path included.
 */
export async function runSqlPipeline(context: PipelineContext): Promise<number> {
  const { config, lifecycle } = context;
  const params = parseSqlParams(context.spec.params);
  const resultUrl = config.resultUrl ?? throwMissing(RUNNER_ENV.resultUrl);
  const resultToken = config.resultToken ?? throwMissing(RUNNER_ENV.resultToken);

  const folder = await PrivateFolder.create(config.tmpDir, 'ferry-sql-');
  const unregister = lifecycle.onStop(() => folder.removeSync());
  try {
    await fetchSources(context, params, folder);
    const { rows, file } = await runQuery(context, params, folder);
    const started = performance.now();
    const bytes = await uploadResult({
      url: resultUrl,
      token: resultToken,
      file,
      contentType: CONTENT_TYPES[params.outputFormat],
      rows,
      maxBytes: config.resultMaxBytes,
      signal: lifecycle.signal,
    });
    context.output.log(`sql: uploaded the result (${formatBytes(bytes)}, ${rows} rows) in ${elapsed(started)}`);
    context.output.progress({ percent: PERCENT.uploaded, rows, message: 'result uploaded' });
    return ExitCode.Succeeded;
  } finally {
    unregister();
    await folder.remove();
  }
}

async function fetchSources({ config, output, lifecycle }: PipelineContext, params: SqlParams, folder: PrivateFolder): Promise<void> {
  const policy = new SourcePolicy({ allowLoopback: config.allowLoopback, allowCidrs: config.allowCidrs });
  await mkdir(folder.file('sources'), { mode: 0o700 });
  let used = 0;
  for (const [index, source] of params.sources.entries()) {
    const started = performance.now();
    const fetched = await fetchSource(source.url, sourcePath(folder, source.name, source.format), {
      policy,
      dataDir: config.dataDir,
      maxBytes: config.sourceMaxBytes - used,
      signal: lifecycle.signal,
    });
    used += fetched.bytes;
    const via = fetched.redirects > 0 ? ` after ${fetched.redirects} redirect(s)` : '';
    output.log(`sql: fetched source "${source.name}" (${source.format}, ${formatBytes(fetched.bytes)}) in ${elapsed(started)}${via}`);
    const percent = Math.round(((index + 1) / params.sources.length) * PERCENT.fetched);
    output.progress({ percent, message: `fetched source ${source.name} (${index + 1} of ${params.sources.length})` });
  }
}

async function runQuery(
  { config, output, lifecycle }: PipelineContext,
  params: SqlParams,
  folder: PrivateFolder,
): Promise<{ rows: number; file: string }> {
  const started = performance.now();
  // Loaded here only: DuckDB's native module costs a sleep or fail attempt nothing.
  const { SqlSession } = await import('../sql/duckdb.session.js');
  const session = await SqlSession.open({
    workDir: folder.path,
    threads: config.duckdbThreads,
    memoryLimit: config.duckdbMemoryLimit,
    tempMaxBytes: config.duckdbTempMaxBytes,
  });
  const interrupt = (): void => session.interrupt();
  lifecycle.signal.addEventListener('abort', interrupt);
  try {
    output.log(`sql: DuckDB ready and locked down in ${elapsed(started)} (threads ${config.duckdbThreads}, memory_limit ${config.duckdbMemoryLimit})`);
    for (const source of params.sources) await session.registerView(source.name, source.format, sourcePath(folder, source.name, source.format));
    await session.assertSingleSelect(params.sql);
    const queryStarted = performance.now();
    const file = folder.file(`result.${FILE_EXTENSIONS[params.outputFormat]}`);
    const rows = await copyWithinBounds(session, params, file, folder, config);
    output.log(`sql: the query wrote ${rows} rows as ${params.outputFormat} in ${elapsed(queryStarted)}`);
    output.progress({ percent: PERCENT.queried, rows, message: 'query done, uploading the result' });
    return { rows, file };
  } finally {
    lifecycle.signal.removeEventListener('abort', interrupt);
    session.close();
  }
}

/**
 * Runs the query into `file` while a guard measures the result and the spill folder: past
 * FERRY_RESULT_MAX_BYTES or FERRY_DUCKDB_TEMP_MAX_BYTES the query is interrupted, so neither grows
 * much past its bound before the attempt fails (`ResultTooLarge`, `DiskLimitExceeded`).
 */
async function copyWithinBounds(session: SqlSession, params: SqlParams, file: string, folder: PrivateFolder, config: RunnerConfig): Promise<number> {
  const guard = new DiskGuard(
    [
      {
        path: file,
        maxBytes: config.resultMaxBytes,
        failure: (bytes) =>
          permanent(RunnerReason.ResultTooLarge, `the result passed FERRY_RESULT_MAX_BYTES (${formatBytes(config.resultMaxBytes)}) while it was written (${formatBytes(bytes)}); select fewer rows or columns`),
      },
      {
        path: folder.file('spill'),
        maxBytes: config.duckdbTempMaxBytes,
        failure: (bytes) =>
          permanent(RunnerReason.DiskLimitExceeded, `the query spilled ${formatBytes(bytes)} to disk, past FERRY_DUCKDB_TEMP_MAX_BYTES (${formatBytes(config.duckdbTempMaxBytes)})`),
      },
    ],
    () => session.interrupt(),
  );
  try {
    const rows = await session.copyResult(params.sql, params.outputFormat, file);
    if (guard.failure !== undefined) throw guard.failure;
    return rows;
  } catch (error) {
    throw guard.failure ?? error;
  } finally {
    guard.stop();
  }
}

function sourcePath(folder: PrivateFolder, name: string, format: string): string {
  return folder.file(`sources/${name}.${format}`);
}

function throwMissing(name: string): never {
  throw missingVariable(name, 'for sql jobs: the result is uploaded there');
}

function elapsed(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}
