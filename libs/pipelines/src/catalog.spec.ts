import { readFileSync } from 'node:fs';
import { parseCatalog } from './catalog.loader.js';
import { FAIL_PARAMS_SCHEMA, SLEEP_PARAMS_SCHEMA, SQL_PARAMS_SCHEMA } from './builtin-params.schemas.js';

const REPO_CATALOG = readFileSync(new URL('../../../pipelines/catalog.yaml', import.meta.url), 'utf8');

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('parseCatalog of pipelines/catalog.yaml', () => {
  const catalog = parseCatalog(REPO_CATALOG, 'pipelines/catalog.yaml');

  it('offers sql, sleep and fail', () => {
    expect(catalog.summaries().map(({ name }) => name)).toEqual(['sql', 'sleep', 'fail']);
    expect(catalog.get('sql')?.entry.kind).toBe('sql');
    expect(catalog.get('sleep')?.entry.kind).toBe('sleep');
    expect(catalog.get('fail')?.entry.kind).toBe('fail');
    expect(catalog.get('nope')).toBeUndefined();
  });

  it('gives the built-in kinds their fixed params schemas', () => {
    expect(catalog.get('sql')?.paramsSchema).toBe(SQL_PARAMS_SCHEMA);
    expect(catalog.get('sleep')?.paramsSchema).toBe(SLEEP_PARAMS_SCHEMA);
    expect(catalog.get('fail')?.paramsSchema).toBe(FAIL_PARAMS_SCHEMA);
  });

  it('summarises each pipeline by name, description, params schema and defaults', () => {
    const summaries = catalog.summaries();
    expect(summaries).toEqual([
      {
        name: 'sql',
        description: expect.stringContaining('DuckDB SELECT') as unknown as string,
        paramsSchema: SQL_PARAMS_SCHEMA,
        defaults: { timeoutSeconds: 3600, maxAttempts: 3, startDeadlineSeconds: 600 },
      },
      {
        name: 'sleep',
        description: expect.stringContaining('Sleep for `seconds`') as unknown as string,
        paramsSchema: SLEEP_PARAMS_SCHEMA,
        defaults: { timeoutSeconds: 3600, maxAttempts: 1 },
      },
      {
        name: 'fail',
        description: expect.stringContaining('Exit with `exitCode`') as unknown as string,
        paramsSchema: FAIL_PARAMS_SCHEMA,
        defaults: { timeoutSeconds: 600, maxAttempts: 3 },
      },
    ]);
    for (const summary of summaries) expect(Object.keys(summary).sort()).toEqual(['defaults', 'description', 'name', 'paramsSchema']);
  });

  it('checks params against the schema of each pipeline', () => {
    expect(catalog.get('sleep')?.checkParams({ seconds: 1 })).toEqual([]);
    expect(catalog.get('fail')?.checkParams({ exitCode: 2 })).toEqual([]);
    expect(catalog.get('fail')?.checkParams({})).toEqual([{ field: 'params.exitCode', message: 'is required' }]);
  });
});

describe('parseCatalog', () => {
  it('copies defaults into summaries, empty when a pipeline has none', () => {
    const catalog = parseCatalog(
      `pipelines:
  - { name: plain, kind: sleep, description: d }
`,
    );
    const [summary] = catalog.summaries();
    expect(summary?.defaults).toEqual({});
  });

  it('accepts a container pipeline with its own params schema, placeholders in args only', () => {
    const catalog = parseCatalog(`pipelines:
  - name: export
    kind: container
    description: Export a table.
    image: ghcr.io/acme/export:1
    command: [export]
    args: ['{{params.table}}', '--offset={{params.offset}}', '{{params.delta}}']
    paramsSchema:
      type: object
      required: [table]
      properties: { table: { type: string }, offset: { type: string }, delta: { type: string, pattern: '^-?[0-9]+$' } }
`);
    const exporter = catalog.get('export');
    expect(exporter?.checkParams({ table: 't' })).toEqual([]);
    expect(exporter?.checkParams({})).toEqual([{ field: 'params.table', message: 'is required' }]);
  });

  it.each([
    [
      'a duplicate name',
      `pipelines:
  - { name: twice, kind: sleep, description: one }
  - { name: twice, kind: fail, description: two }
`,
      /^pipeline catalog test\.yaml: .*"twice" appears twice$/,
    ],
    [
      'a built-in kind with its own paramsSchema',
      `pipelines:
  - name: custom-sleep
    kind: sleep
    description: d
    paramsSchema: { type: object }
`,
      /"custom-sleep" is of built-in kind sleep, whose params schema is fixed/,
    ],
    [
      'a container without an image',
      `pipelines:
  - { name: box, kind: container, description: d, command: [run] }
`,
      /container pipeline "box" needs an image and a command/,
    ],
    [
      'a container without a command',
      `pipelines:
  - { name: box, kind: container, description: d, image: busybox }
`,
      /container pipeline "box" needs an image and a command/,
    ],
    [
      'a container without a params schema',
      `pipelines:
  - { name: box, kind: container, description: d, image: busybox, command: [run] }
`,
      /container pipeline "box" needs a paramsSchema/,
    ],
    [
      'a placeholder in the command',
      `pipelines:
  - { name: box, kind: container, description: d, image: busybox, command: ['{{params.tool}}'], paramsSchema: { type: object } }
`,
      /container pipeline "box" has a \{\{params\.…\}\} placeholder in its command/,
    ],
    [
      'an invalid params schema',
      `pipelines:
  - { name: box, kind: container, description: d, image: busybox, command: [run], paramsSchema: { type: 12 } }
`,
      /"box" has an invalid paramsSchema/,
    ],
    [
      'an unknown property',
      `pipelines:
  - { name: box, kind: sleep, description: d, timeout: 60 }
`,
      /malformed pipeline catalog: \/pipelines\/0 must NOT have additional properties: "timeout"/,
    ],
    [
      'an unknown kind',
      `pipelines:
  - { name: box, kind: python, description: d }
`,
      /malformed pipeline catalog: \/pipelines\/0\/kind/,
    ],
    [
      'a bad name',
      `pipelines:
  - { name: Box_1, kind: sleep, description: d }
`,
      /malformed pipeline catalog: \/pipelines\/0\/name must match pattern/,
    ],
    [
      'a missing description',
      `pipelines:
  - { name: box, kind: sleep }
`,
      /malformed pipeline catalog: \/pipelines\/0 must have required property 'description'/,
    ],
    [
      'a zero default',
      `pipelines:
  - { name: box, kind: sleep, description: d, defaults: { maxAttempts: 0 } }
`,
      /malformed pipeline catalog: \/pipelines\/0\/defaults\/maxAttempts must be >= 1/,
    ],
    ['no pipelines', 'pipelines: []\n', /malformed pipeline catalog: \/pipelines must NOT have fewer than 1 items/],
    ['an empty file', '', /malformed pipeline catalog: \/ must be object/],
    ['invalid YAML', 'pipelines:\n  - name: [unclosed\n', /^pipeline catalog test\.yaml: .+/],
    ['YAML with a tab indent', 'pipelines:\n\t- name: x\n', /^pipeline catalog test\.yaml: .+/],
  ])('rejects %s', (_name, text, pattern) => {
    const message = messageOf(() => parseCatalog(text, 'test.yaml'));
    expect(message).toMatch(/^pipeline catalog test\.yaml: /);
    expect(message).toMatch(pattern);
  });

  it('keeps the underlying error as the cause', () => {
    let thrown: unknown;
    try {
      parseCatalog('pipelines: [', 'x.yaml');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).cause).toBeInstanceOf(Error);
    expect((thrown as Error).cause).not.toBe(thrown);
  });
});
