import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { CreateJobDto } from './dto/create-job.dto.js';
import { LIST_LIMIT, ListJobsQuery, LogsQuery } from './dto/list-jobs.query.js';
import { LABELS_MAX_COUNT } from './limits.js';

const OPTIONS = { whitelist: true, forbidNonWhitelisted: true } as const;

type Class<T> = new () => T;

async function check<T extends object>(type: Class<T>, plain: object): Promise<{ value: T; errors: ValidationError[] }> {
  const value = plainToInstance(type, plain);
  return { value, errors: await validate(value, OPTIONS) };
}

/** The properties that failed, and for each the constraints that failed. */
const failures = (errors: ValidationError[]): Record<string, string[]> =>
  Object.fromEntries(errors.map((error) => [error.property, Object.keys(error.constraints ?? {}).sort()]));

const manyLabels = (count: number): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));

describe('CreateJobDto', () => {
  it.each<[string, object]>([
    ['only a pipeline', { pipeline: 'sleep' }],
    [
      'every field',
      {
        pipeline: 'sql',
        params: { sql: 'SELECT 1', sources: { a: { url: 'https://x', format: 'csv' } } },
        labels: { team: 'data', 'app.kubernetes.io/name': 'ferry', empty: '' },
        timeoutSeconds: 60,
        maxAttempts: 2,
        startDeadlineSeconds: 30,
      },
    ],
    ['an empty params object', { pipeline: 'fail', params: {} }],
    ['a long pipeline name', { pipeline: `a${'-'.repeat(61)}b` }],
    ['the most labels allowed', { pipeline: 'sleep', labels: manyLabels(LABELS_MAX_COUNT) }],
    ['a 256-character label value', { pipeline: 'sleep', labels: { team: 'x'.repeat(256) } }],
  ])('accepts %s', async (_name, body) => {
    const { value, errors } = await check(CreateJobDto, body);
    expect(errors).toEqual([]);
    expect(value).toBeInstanceOf(CreateJobDto);
    expect({ ...value }).toEqual(body);
  });

  it.each<[string, object, Record<string, string[]>]>([
    ['a missing pipeline', {}, { pipeline: ['isString', 'matches'] }],
    ['a numeric pipeline', { pipeline: 7 }, { pipeline: ['isString', 'matches'] }],
    ['an uppercase pipeline', { pipeline: 'Sleep' }, { pipeline: ['matches'] }],
    ['a pipeline with an underscore', { pipeline: 'my_pipe' }, { pipeline: ['matches'] }],
    ['a pipeline ending in a dash', { pipeline: 'sleep-' }, { pipeline: ['matches'] }],
    ['a pipeline of 64 characters', { pipeline: 'a'.repeat(64) }, { pipeline: ['matches'] }],
    ['params as an array', { pipeline: 'sleep', params: [1] }, { params: ['isObject'] }],
    ['params as a string', { pipeline: 'sleep', params: 'seconds=1' }, { params: ['isObject'] }],
    ['a string timeout', { pipeline: 'sleep', timeoutSeconds: '60' }, { timeoutSeconds: ['isInt'] }],
    ['a fractional maxAttempts', { pipeline: 'sleep', maxAttempts: 1.5 }, { maxAttempts: ['isInt'] }],
    ['a boolean startDeadlineSeconds', { pipeline: 'sleep', startDeadlineSeconds: true }, { startDeadlineSeconds: ['isInt'] }],
    ['a non-string label value', { pipeline: 'sleep', labels: { team: 1 } }, { labels: ['labelMap'] }],
    ['a null label value', { pipeline: 'sleep', labels: { team: null } }, { labels: ['labelMap'] }],
    ['a label key with a space', { pipeline: 'sleep', labels: { 'my team': 'x' } }, { labels: ['labelMap'] }],
    ['a label key starting with a dash', { pipeline: 'sleep', labels: { '-team': 'x' } }, { labels: ['labelMap'] }],
    ['an empty label key', { pipeline: 'sleep', labels: { '': 'x' } }, { labels: ['labelMap'] }],
    ['a 64-character label key', { pipeline: 'sleep', labels: { ['k'.repeat(64)]: 'x' } }, { labels: ['labelMap'] }],
    ['a 257-character label value', { pipeline: 'sleep', labels: { team: 'x'.repeat(257) } }, { labels: ['labelMap'] }],
    ['too many labels', { pipeline: 'sleep', labels: manyLabels(LABELS_MAX_COUNT + 1) }, { labels: ['labelMap'] }],
    ['labels as an array', { pipeline: 'sleep', labels: ['team=data'] }, { labels: ['labelMap'] }],
    ['labels as a string', { pipeline: 'sleep', labels: 'team=data' }, { labels: ['labelMap'] }],
    ['an unknown field', { pipeline: 'sleep', priority: 1 }, { priority: ['whitelistValidation'] }],
  ])('rejects %s', async (_name, body, expected) => {
    const { errors } = await check(CreateJobDto, body);
    expect(failures(errors)).toEqual(expected);
  });

  it('explains what labels must be', async () => {
    const { errors } = await check(CreateJobDto, { pipeline: 'sleep', labels: { team: 1 } });
    expect(errors[0]?.constraints?.['labelMap']).toContain('at most 32 string values up to 256 characters');
  });
});

describe('ListJobsQuery', () => {
  it('accepts an empty query', async () => {
    const { value, errors } = await check(ListJobsQuery, {});
    expect(errors).toEqual([]);
    expect({ ...value }).toEqual({});
  });

  it('turns a single label into an array', async () => {
    const { value, errors } = await check(ListJobsQuery, { label: 'team=data' });
    expect(errors).toEqual([]);
    expect(value.label).toEqual(['team=data']);
  });

  it('keeps repeated labels as they are', async () => {
    const { value, errors } = await check(ListJobsQuery, { label: ['team=data', 'env=prod', 'expr=a=b', 'empty='] });
    expect(errors).toEqual([]);
    expect(value.label).toEqual(['team=data', 'env=prod', 'expr=a=b', 'empty=']);
  });

  it('reads limit as a number', async () => {
    const { value, errors } = await check(ListJobsQuery, { limit: '20' });
    expect(errors).toEqual([]);
    expect(value.limit).toBe(20);
  });

  it.each(['1', String(LIST_LIMIT.max)])('accepts limit %s', async (limit) => {
    const { value, errors } = await check(ListJobsQuery, { limit });
    expect(errors).toEqual([]);
    expect(value.limit).toBe(Number(limit));
  });

  it('accepts every filter together', async () => {
    const query = { state: 'running', pipeline: 'sql', label: 'team=data', limit: '5', cursor: '4096' };
    const { value, errors } = await check(ListJobsQuery, query);
    expect(errors).toEqual([]);
    expect({ ...value }).toEqual({ ...query, label: ['team=data'], limit: 5 });
  });

  it.each<[string, object, Record<string, string[]>]>([
    ['limit 0', { limit: '0' }, { limit: ['min'] }],
    ['limit 201', { limit: '201' }, { limit: ['max'] }],
    ['include of something else', { include: 'labels' }, { include: ['isIn'] }],
    ['limit -5', { limit: '-5' }, { limit: ['min'] }],
    ['limit 2.5', { limit: '2.5' }, { limit: ['isInt'] }],
    ['limit abc', { limit: 'abc' }, { limit: ['isInt', 'max', 'min'] }],
    ['an unknown state', { state: 'done' }, { state: ['isIn'] }],
    ['an uppercase state', { state: 'RUNNING' }, { state: ['isIn'] }],
    ['a bad pipeline', { pipeline: 'No_Such' }, { pipeline: ['matches'] }],
    ['a label without =', { label: 'team' }, { label: ['matches'] }],
    ['a label with an empty key', { label: '=data' }, { label: ['matches'] }],
    ['one bad label among good ones', { label: ['team=data', 'oops'] }, { label: ['matches'] }],
    ['a cursor that is not a number', { cursor: 'next-page' }, { cursor: ['matches'] }],
    ['a job id as cursor', { cursor: '01arz3ndektsv4rrffq69g5fav' }, { cursor: ['matches'] }],
    ['a zero cursor', { cursor: '0' }, { cursor: ['matches'] }],
    ['a cursor with a leading zero', { cursor: '012' }, { cursor: ['matches'] }],
    ['a negative cursor', { cursor: '-5' }, { cursor: ['matches'] }],
    ['a cursor past 2^53', { cursor: '12345678901234567' }, { cursor: ['matches'] }],
    ['an unknown field', { sort: 'asc' }, { sort: ['whitelistValidation'] }],
  ])('rejects %s', async (_name, query, expected) => {
    const { errors } = await check(ListJobsQuery, query);
    expect(failures(errors)).toEqual(expected);
  });

  it('explains a bad cursor', async () => {
    const { errors } = await check(ListJobsQuery, { cursor: 'x' });
    expect(errors[0]?.constraints).toEqual({ matches: 'cursor must be a nextCursor from a previous page' });
  });
});

describe('LogsQuery', () => {
  it.each([{}, { follow: 'true' }, { follow: 'false' }])('accepts %j', async (query) => {
    expect((await check(LogsQuery, query)).errors).toEqual([]);
  });

  it.each([{ follow: 'yes' }, { follow: '1' }])('rejects %j', async (query) => {
    expect(failures((await check(LogsQuery, query)).errors)).toEqual({ follow: ['isIn'] });
  });
});
