import { isDataFormat, type DataFormat } from '../result/data-format.js';
import { permanent, RunnerReason, type RunnerFailure } from '../runner.failure.js';

/**
 * The built-in pipelines' params, checked again here: the gateway validated them against the same
 * schemas (libs/pipelines), but a spec crosses a process boundary, so it is parsed, never cast.
 */
export interface SleepParams {
  readonly seconds: number;
  readonly progressEvery: number | undefined;
}

export interface FailParams {
  readonly exitCode: number;
  readonly afterSeconds: number;
}

export interface SqlSource {
  readonly name: string;
  readonly url: URL;
  readonly format: DataFormat;
}

export interface SqlParams {
  readonly sources: readonly SqlSource[];
  readonly sql: string;
  readonly outputFormat: DataFormat;
}

const MAX_SECONDS = 86_400;
const VIEW_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const MAX_SOURCES = 32;
const MAX_SQL_LENGTH = 100_000;
const SOURCE_SCHEMES = new Set(['http:', 'https:', 'file:']);

type Params = Readonly<Record<string, unknown>>;

export function parseSleepParams(params: Params): SleepParams {
  onlyKeys(params, ['seconds', 'progressEvery']);
  const seconds = numberIn(params, 'seconds', 0, MAX_SECONDS);
  const progressEvery = params['progressEvery'] === undefined ? undefined : numberIn(params, 'progressEvery', 0, MAX_SECONDS, true);
  return { seconds, progressEvery };
}

export function parseFailParams(params: Params): FailParams {
  onlyKeys(params, ['exitCode', 'afterSeconds']);
  const exitCode = numberIn(params, 'exitCode', 1, 255);
  if (!Number.isInteger(exitCode)) throw invalid('exitCode must be an integer');
  const afterSeconds = params['afterSeconds'] === undefined ? 0 : numberIn(params, 'afterSeconds', 0, MAX_SECONDS);
  return { exitCode, afterSeconds };
}

export function parseSqlParams(params: Params): SqlParams {
  onlyKeys(params, ['sources', 'sql', 'output']);
  const sql = params['sql'];
  if (typeof sql !== 'string' || sql.trim() === '' || sql.length > MAX_SQL_LENGTH) {
    throw invalid(`sql must be a non-empty string of at most ${MAX_SQL_LENGTH} characters`);
  }
  return { sources: parseSources(params['sources']), sql, outputFormat: parseOutputFormat(params['output']) };
}

function parseSources(value: unknown): SqlSource[] {
  if (!isRecord(value)) throw invalid('sources must be an object of views');
  const entries = Object.entries(value);
  if (entries.length < 1 || entries.length > MAX_SOURCES) throw invalid(`sources must name 1 to ${MAX_SOURCES} views`);
  return entries.map(([name, source]) => {
    if (!VIEW_NAME.test(name)) throw invalid(`sources: "${name}" is not a view name (letters, digits, _; not a digit first)`);
    if (!isRecord(source)) throw invalid(`sources.${name} must be an object with url and format`);
    onlyKeys(source, ['url', 'format'], `sources.${name}`);
    const url = typeof source['url'] === 'string' ? URL.parse(source['url']) : null;
    if (!url || !SOURCE_SCHEMES.has(url.protocol)) throw invalid(`sources.${name}.url must be an http(s) or file URL`);
    const format = source['format'];
    if (!isDataFormat(format)) throw invalid(`sources.${name}.format must be csv, parquet, json or ndjson`);
    return { name, url, format };
  });
}

function parseOutputFormat(value: unknown): DataFormat {
  if (value === undefined) return 'csv';
  if (!isRecord(value)) throw invalid('output must be an object');
  onlyKeys(value, ['format'], 'output');
  const format = value['format'] ?? 'csv';
  if (!isDataFormat(format)) throw invalid('output.format must be csv, parquet, json or ndjson');
  return format;
}

function numberIn(params: Params, key: string, min: number, max: number, exclusiveMin = false): number {
  const value = params[key];
  const ok = typeof value === 'number' && Number.isFinite(value) && (exclusiveMin ? value > min : value >= min) && value <= max;
  if (!ok) throw invalid(`${key} must be a number ${exclusiveMin ? 'above' : 'from'} ${min} ${exclusiveMin ? 'up to' : 'to'} ${max}`);
  return value;
}

function onlyKeys(value: Params, allowed: readonly string[], where = 'params'): void {
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw invalid(`${where} has an unknown property "${unknown}"`);
}

function isRecord(value: unknown): value is Params {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): RunnerFailure {
  return permanent(RunnerReason.InvalidParams, `invalid params: ${message}`);
}
