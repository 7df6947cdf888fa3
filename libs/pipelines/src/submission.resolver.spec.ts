import { ErrorCode, FerryError, JOB_BOUNDS, type CreateJobDto, type FieldError } from '@ferry/contracts';
import { parseCatalog } from './catalog.loader.js';
import { resolveSubmission } from './submission.resolver.js';

const catalog = parseCatalog(`pipelines:
  - name: sql
    kind: sql
    description: SQL
    defaults: { timeoutSeconds: 3600, maxAttempts: 3, startDeadlineSeconds: 600 }
    maxima: { timeoutSeconds: 86400, maxAttempts: 5 }
  - name: sleep
    kind: sleep
    description: Sleep
    defaults: { timeoutSeconds: 120, maxAttempts: 1 }
    maxima: { timeoutSeconds: 300, maxAttempts: 2, startDeadlineSeconds: 60 }
  - name: fail
    kind: fail
    description: Fail, with no defaults or maxima
  - name: roomy
    kind: sleep
    description: Maxima and a default above Ferry's bounds
    defaults: { maxAttempts: 50 }
    maxima: { maxAttempts: 99, timeoutSeconds: 9999999, startDeadlineSeconds: 9999999 }
  - name: tight
    kind: sleep
    description: A default above its own maximum
    defaults: { timeoutSeconds: 500 }
    maxima: { timeoutSeconds: 100 }
  - name: export
    kind: container
    description: A team's program
    image: ghcr.io/acme/export:1
    command: [export]
    args: ['{{params.table}}', '--offset={{params.offset}}', '{{params.delta}}']
    paramsSchema:
      type: object
      properties: { table: { type: string }, offset: { type: string }, delta: { type: string, pattern: '^-?[0-9]+$' } }
`);

/** A request body as the DTO validation hands it over. */
const body = (value: CreateJobDto): CreateJobDto => value;

function rejection(submission: CreateJobDto): FerryError {
  try {
    resolveSubmission(submission, catalog);
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected a FerryError, nothing was thrown');
}

const fieldsOf = (errors: readonly FieldError[]): string[] => errors.map(({ field }) => field);

describe('JOB_BOUNDS', () => {
  it('are the bounds of docs/architecture.md §3', () => {
    expect(JOB_BOUNDS).toEqual({
      maxAttempts: { min: 1, max: 10, fallback: 3 },
      timeoutSeconds: { min: 1, max: 604_800, fallback: 3_600 },
      startDeadlineSeconds: { min: 1, max: 86_400, fallback: 600 },
    });
  });
});

describe('resolveSubmission', () => {
  it('applies the pipeline defaults and JOB_BOUNDS fallbacks for what the pipeline leaves out', () => {
    expect(resolveSubmission(body({ pipeline: 'sleep', params: { seconds: 1 } }), catalog)).toEqual({
      pipeline: 'sleep',
      params: { seconds: 1 },
      labels: {},
      maxAttempts: 1,
      timeoutSeconds: 120,
      // No default of its own: the fallback, within the pipeline's maximum of 60.
      startDeadlineSeconds: 60,
    });
  });

  it('uses the JOB_BOUNDS fallbacks when the pipeline has no defaults', () => {
    expect(resolveSubmission(body({ pipeline: 'fail', params: { exitCode: 2 } }), catalog)).toMatchObject({
      maxAttempts: JOB_BOUNDS.maxAttempts.fallback,
      timeoutSeconds: JOB_BOUNDS.timeoutSeconds.fallback,
      startDeadlineSeconds: JOB_BOUNDS.startDeadlineSeconds.fallback,
    });
  });

  it('caps a default at the maxima and at JOB_BOUNDS', () => {
    expect(resolveSubmission(body({ pipeline: 'tight', params: { seconds: 1 } }), catalog).timeoutSeconds).toBe(100);
    expect(resolveSubmission(body({ pipeline: 'roomy', params: { seconds: 1 } }), catalog).maxAttempts).toBe(JOB_BOUNDS.maxAttempts.max);
  });

  it('lets the client lower values and reach the maxima', () => {
    const resolved = resolveSubmission(
      body({ pipeline: 'sql', params: { sql: 'SELECT 1', sources: { a: { url: 'https://x/a.csv', format: 'csv' } } }, maxAttempts: 5, timeoutSeconds: 1, startDeadlineSeconds: 86_400 }),
      catalog,
    );
    expect(resolved).toMatchObject({ maxAttempts: 5, timeoutSeconds: 1, startDeadlineSeconds: 86_400 });
  });

  it('copies the labels', () => {
    const labels = { team: 'data' };
    const resolved = resolveSubmission(body({ pipeline: 'sleep', params: { seconds: 1 }, labels }), catalog);
    expect(resolved.labels).toEqual({ team: 'data' });
    expect(resolved.labels).not.toBe(labels);
  });

  it.each<[string, Partial<CreateJobDto>, FieldError[]]>([
    ['maxAttempts above the pipeline maximum', { maxAttempts: 3 }, [{ field: 'maxAttempts', message: 'must be between 1 and 2' }]],
    ['timeoutSeconds above the pipeline maximum', { timeoutSeconds: 301 }, [{ field: 'timeoutSeconds', message: 'must be between 1 and 300' }]],
    ['startDeadlineSeconds above the pipeline maximum', { startDeadlineSeconds: 61 }, [{ field: 'startDeadlineSeconds', message: 'must be between 1 and 60' }]],
    ['maxAttempts 0', { maxAttempts: 0 }, [{ field: 'maxAttempts', message: 'must be between 1 and 2' }]],
    ['a negative timeout', { timeoutSeconds: -1 }, [{ field: 'timeoutSeconds', message: 'must be between 1 and 300' }]],
    [
      'every limit out of bounds',
      { maxAttempts: 0, timeoutSeconds: 0, startDeadlineSeconds: 0 },
      [
        { field: 'maxAttempts', message: 'must be between 1 and 2' },
        { field: 'timeoutSeconds', message: 'must be between 1 and 300' },
        { field: 'startDeadlineSeconds', message: 'must be between 1 and 60' },
      ],
    ],
  ])('refuses %s (pipeline sleep)', (_name, limits, errors) => {
    const error = rejection(body({ pipeline: 'sleep', params: { seconds: 1 }, ...limits }));
    expect(error.code).toBe(ErrorCode.Unprocessable);
    expect(error.message).toBe('the submission does not fit pipeline "sleep"');
    expect(error.errors).toEqual(errors);
  });

  it.each<[keyof typeof JOB_BOUNDS, number]>([
    ['maxAttempts', 10],
    ['timeoutSeconds', 604_800],
    ['startDeadlineSeconds', 86_400],
  ])('holds %s to JOB_BOUNDS even when the pipeline maxima are higher', (field, max) => {
    expect(resolveSubmission(body({ pipeline: 'roomy', params: { seconds: 1 }, [field]: max }), catalog)[field]).toBe(max);
    const error = rejection(body({ pipeline: 'roomy', params: { seconds: 1 }, [field]: max + 1 }));
    expect(error.errors).toEqual([{ field, message: `must be between 1 and ${max}` }]);
  });

  it.each<[keyof typeof JOB_BOUNDS, number]>([
    ['maxAttempts', 10],
    ['timeoutSeconds', 604_800],
    ['startDeadlineSeconds', 86_400],
  ])('holds %s to JOB_BOUNDS when the pipeline has no maxima', (field, max) => {
    expect(resolveSubmission(body({ pipeline: 'fail', params: { exitCode: 1 }, [field]: max }), catalog)[field]).toBe(max);
    expect(fieldsOf(rejection(body({ pipeline: 'fail', params: { exitCode: 1 }, [field]: max + 1 })).errors)).toEqual([field]);
  });

  it('refuses an unknown pipeline naming the field', () => {
    const error = rejection(body({ pipeline: 'nope' }));
    expect(error.code).toBe(ErrorCode.Unprocessable);
    expect(error.message).toBe('unknown pipeline "nope"');
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]?.field).toBe('pipeline');
  });

  it.each<[string, string, Record<string, unknown> | undefined, string[]]>([
    ['no params for sleep', 'sleep', undefined, ['params.seconds']],
    ['a string seconds', 'sleep', { seconds: 'ten' }, ['params.seconds']],
    ['negative seconds', 'sleep', { seconds: -1 }, ['params.seconds']],
    ['an unknown parameter', 'sleep', { seconds: 1, extra: true }, ['params.extra']],
    ['a zero progressEvery and an unknown parameter', 'sleep', { seconds: 1, progressEvery: 0, extra: 1 }, ['params.extra', 'params.progressEvery']],
    ['no exitCode', 'fail', {}, ['params.exitCode']],
    ['exitCode 0', 'fail', { exitCode: 0 }, ['params.exitCode']],
    ['a fractional exitCode', 'fail', { exitCode: 1.5 }, ['params.exitCode']],
    ['exitCode 256', 'fail', { exitCode: 256 }, ['params.exitCode']],
    ['a source without url', 'sql', { sql: 'SELECT 1', sources: { a: { format: 'csv' } } }, ['params.sources.a.url']],
    ['a source of an unknown format', 'sql', { sql: 'SELECT 1', sources: { a: { url: 'https://x', format: 'xml' } } }, ['params.sources.a.format']],
  ])('maps params errors to fields: %s', (_name, pipeline, params, fields) => {
    const error = rejection(body(params === undefined ? { pipeline } : { pipeline, params }));
    expect(error.code).toBe(ErrorCode.Unprocessable);
    expect(fieldsOf(error.errors).sort()).toEqual(fields);
  });

  it('words required and unknown parameters', () => {
    expect(rejection(body({ pipeline: 'fail', params: { oops: 1 } })).errors).toEqual([
      { field: 'params.exitCode', message: 'is required' },
      { field: 'params.oops', message: 'is not a known parameter' },
    ]);
  });

  it('reports params and limit errors together', () => {
    const error = rejection(body({ pipeline: 'fail', params: { exitCode: 0 }, maxAttempts: 11 }));
    expect(error.errors).toEqual([
      { field: 'params.exitCode', message: 'must be >= 1' },
      { field: 'maxAttempts', message: 'must be between 1 and 10' },
    ]);
  });

  it('works on a copy of params: schema defaults fill the result, not the input', () => {
    const params = { sql: 'SELECT 1', sources: { a: { url: 'https://x/a.csv', format: 'csv' } }, output: {} };
    const snapshot = structuredClone(params);
    const resolved = resolveSubmission(body({ pipeline: 'sql', params }), catalog);
    expect(resolved.params).toEqual({ ...snapshot, output: { format: 'csv' } });
    expect(resolved.params).not.toBe(params);
    expect(params).toEqual(snapshot);
  });

  it('does not mutate params it refuses', () => {
    const params = { seconds: 'x', extra: { deep: [1] } };
    rejection(body({ pipeline: 'sleep', params }));
    expect(params).toEqual({ seconds: 'x', extra: { deep: [1] } });
  });
});

describe('resolveSubmission: sources refused at submit', () => {
  const sqlCatalog = parseCatalog('pipelines:\n  - { name: sql, kind: sql, description: d }\n');
  const submit = (url: string) => () =>
    resolveSubmission({ pipeline: 'sql', params: { sources: { t: { url, format: 'csv' } }, sql: 'SELECT 1' } }, sqlCatalog);

  it.each(['http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'https://[::ffff:169.254.169.254]/x.csv', 'http://0.0.0.0/a.csv'])(
    'refuses %s with a 422 on the source field',
    (url) => {
      expect(submit(url)).toThrow(expect.objectContaining({ code: 'unprocessable', errors: [expect.objectContaining({ field: 'params.sources.t.url' })] }));
    },
  );

  it.each(['https://data.example.com/a.csv', 'http://127.0.0.1:8000/a.csv', 'http://10.1.2.3/a.csv', 'file:///data/a.csv'])(
    'leaves %s to the runner, which checks every connection',
    (url) => {
      expect(submit(url)()).toMatchObject({ pipeline: 'sql' });
    },
  );

  it('refuses a param that would make an argument start with "-", unless its schema has a pattern', () => {
    const refused = rejection(body({ pipeline: 'export', params: { table: '--config=/etc/passwd' } }));
    expect(refused.code).toBe(ErrorCode.Unprocessable);
    expect(refused.errors).toEqual([{ field: 'params.table', message: 'must not start with "-": it would be read as an option' }]);
    // Inside an argument, or where the operator's pattern allows it, a leading "-" is the operator's choice.
    expect(resolveSubmission(body({ pipeline: 'export', params: { table: 't', offset: '-5', delta: '-3' } }), catalog).params).toEqual({ table: 't', offset: '-5', delta: '-3' });
  });
});
