import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixtureServer } from './support/fixture-server.ts';
import { ensureRunnerBuilt, RunnerProcess, runRunner, specOf } from './support/runner-process.ts';

let scratch: string;

beforeAll(async () => {
  ensureRunnerBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-runner-lifecycle-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Running, that is: a killed process whose orphaned zombie the system has not reaped yet counts as gone. */
function isAlive(pid: number): boolean {
  try {
    if (existsSync('/proc')) return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('sleep and fail', () => {
  it('sleep prints a progress marker every progressEvery seconds, then exits 0', async () => {
    const run = await runRunner({ spec: specOf('sleep', { seconds: 0.6, progressEvery: 0.2 }) });
    expect(run.code, run.stderr).toBe(0);
    expect(run.progress).toEqual([
      { percent: 33.3, message: 'slept 0.2 of 0.6 s' },
      { percent: 66.7, message: 'slept 0.4 of 0.6 s' },
      { percent: 100, message: 'slept 0.6 of 0.6 s' },
    ]);
    expect(run.stdoutLines.filter((line) => line.startsWith('::ferry:progress '))).toHaveLength(3);
  });

  it('sleep 0 exits 0 at once', async () => {
    const run = await runRunner({ spec: specOf('sleep', { seconds: 0 }) });
    expect(run.code).toBe(0);
    expect(run.progress).toEqual([]);
  });

  it.each([1, 2, 75, 137])('fail exits with %i and says so', async (exitCode) => {
    const run = await runRunner({ spec: specOf('fail', { exitCode, afterSeconds: 0.05 }) });
    expect(run.code).toBe(exitCode);
    expect(run.stdout).toContain(`fail: exiting with code ${exitCode} as the params ask`);
  });

  it('bad params are permanent: exit 2, InvalidParams', async () => {
    const run = await runRunner({ spec: specOf('sleep', { seconds: -1 }) });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'InvalidParams', message: expect.stringMatching(/seconds must be a number/) }]);
  });
});

describe('the spec and the environment', () => {
  it.each([
    ['missing', undefined, /FERRY_JOB is not set/],
    ['not JSON', '{"id":', /FERRY_JOB is not JSON/],
    ['the wrong shape', JSON.stringify({ id: 'x', kind: 'sleep' }), /FERRY_JOB: malformed runner spec/],
    ['an unknown kind', JSON.stringify({ ...specOf('sleep', {}), kind: 'shell' }), /malformed runner spec/],
    ['a container without argv', JSON.stringify(specOf('container', {})), /a container job needs argv/],
  ])('a spec that is %s: exit 2, InvalidSpec', async (_what, spec, message) => {
    const run = await runRunner({ spec });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'InvalidSpec', message: expect.stringMatching(message) }]);
    expect(run.stderr).toMatch(message);
  });

  it('a bad variable: exit 2 with a message naming it', async () => {
    const run = await runRunner({ spec: specOf('sleep', { seconds: 0 }), env: { FERRY_DUCKDB_THREADS: 'many' } });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'InvalidConfig', message: expect.stringMatching(/^invalid configuration: FERRY_DUCKDB_THREADS must be/) }]);
  });
});

describe('container', () => {
  it('passes the command’s lines through unchanged, markers included, and exits with its code', async () => {
    const script = 'echo hi; echo "::ferry:progress {\\"percent\\":50}"; echo "to stderr" >&2; echo "$FERRY_RESULT_URL"; printf "no newline"; exit 3';
    const run = await runRunner({
      spec: specOf('container', {}, ['sh', '-c', script]),
      env: { FERRY_RESULT_URL: 'http://gateway.test/results/x', FERRY_RESULT_TOKEN: 'tok' },
    });
    expect(run.code).toBe(3);
    const childLines = run.stdoutLines.filter((line) => !/^(runner|container): /.test(line));
    expect(childLines).toEqual(['hi', '::ferry:progress {"percent":50}', 'http://gateway.test/results/x', 'no newline']);
    expect(run.progress).toEqual([{ percent: 50 }]);
    expect(run.stderr).toContain('to stderr\n');
  });

  it('runs argv directly, never through a shell', async () => {
    const run = await runRunner({ spec: specOf('container', {}, ['echo', '$HOME; rm -rf /', '`id`']) });
    expect(run.code).toBe(0);
    expect(run.stdoutLines).toContain('$HOME; rm -rf / `id`');
  });

  it('a command that cannot start is permanent: exit 2, CommandNotStarted', async () => {
    const run = await runRunner({ spec: specOf('container', {}, ['/nonexistent/etl-job']) });
    expect(run.code).toBe(2);
    expect(run.errors).toEqual([{ reason: 'CommandNotStarted', message: expect.stringMatching(/ENOENT/) }]);
  });

  it('a command killed by a signal is 143', async () => {
    const run = await runRunner({ spec: specOf('container', {}, ['sh', '-c', 'kill -KILL $$']) });
    expect(run.code).toBe(143);
  });
});

describe('the exit record (FERRY_EXIT_RECORD)', () => {
  const recordOf = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));

  it('an exit by verdict leaves {attempt, exitCode, finishedAt, error} in the named file, its folder made', async () => {
    const succeeded = join(scratch, 'exits', 'acme', 'ok', '1.json');
    const ok = await runRunner({ spec: specOf('sleep', { seconds: 0 }), env: { FERRY_EXIT_RECORD: succeeded } });
    expect(ok.code).toBe(0);
    expect(recordOf(succeeded)).toEqual({ attempt: 1, exitCode: 0, finishedAt: expect.stringMatching(/^\d{4}-.*Z$/) });

    const refused = join(scratch, 'exits', 'acme', 'bad', '1.json');
    const bad = await runRunner({ spec: specOf('sleep', { seconds: -1 }), env: { FERRY_EXIT_RECORD: refused } });
    expect(bad.code).toBe(2);
    expect(recordOf(refused)).toMatchObject({ exitCode: 2, error: { reason: 'InvalidParams', message: expect.stringMatching(/seconds/) } });
    expect((await readdir(join(scratch, 'exits', 'acme', 'bad'))).sort()).toEqual(['1.json']);
  });

  it('a stopped attempt leaves none: no record means nobody may take it for finished', async () => {
    const path = join(scratch, 'exits', 'acme', 'stopped', '1.json');
    const runner = RunnerProcess.start({ spec: specOf('sleep', { seconds: 0 }), env: { FERRY_WATCH_STDIN: '1', FERRY_EXIT_RECORD: path }, stdin: 'pipe' });
    runner.child.stdin?.end();
    expect((await runner.exited()).code).toBe(143);
    expect(existsSync(path)).toBe(false);
  });
});

describe('stopping from outside', () => {
  it('SIGTERM stops a sleeping runner with 143', async () => {
    const runner = RunnerProcess.start({ spec: specOf('sleep', { seconds: 60 }) });
    await runner.waitForOutput(/sleep: sleeping 60 s/);
    runner.child.kill('SIGTERM');
    const run = await runner.exited();
    expect(run.code).toBe(143);
    expect(run.stderr).toContain('runner: SIGTERM: stopping the attempt');
  });

  it('with FERRY_WATCH_STDIN=1, the end of stdin stops it with 143 quickly', async () => {
    const runner = RunnerProcess.start({ spec: specOf('sleep', { seconds: 60 }), env: { FERRY_WATCH_STDIN: '1' }, stdin: 'pipe' });
    await runner.waitForOutput(/sleep: sleeping 60 s/);
    const closed = performance.now();
    runner.child.stdin?.end();
    const run = await runner.exited();
    expect(run.code).toBe(143);
    expect(performance.now() - closed).toBeLessThan(1_000);
    expect(run.stderr).toContain('runner: stdin closed: stopping the attempt');
  });

  it('with FERRY_WATCH_STDIN=1, stdin closed before a quick pipeline ends still means 143, never its outcome', async () => {
    // The controller died while the runner was starting: a restarted controller runs the attempt
    // again, so this copy must not also complete (a 0 s sleep finishes without ever yielding).
    const runner = RunnerProcess.start({ spec: specOf('sleep', { seconds: 0 }), env: { FERRY_WATCH_STDIN: '1' }, stdin: 'pipe' });
    runner.child.stdin?.end();
    const run = await runner.exited();
    expect(run.code).toBe(143);
    expect(run.stderr).toContain('runner: stdin closed: stopping the attempt');
  });

  it('without FERRY_WATCH_STDIN, stdin is not watched', async () => {
    const runner = RunnerProcess.start({ spec: specOf('sleep', { seconds: 0.5 }), stdin: 'pipe' });
    await runner.waitForOutput(/sleep: sleeping/);
    runner.child.stdin?.end();
    expect((await runner.exited()).code).toBe(0);
  });

  it('SIGTERM kills the container command’s whole process group, then exits 143', async () => {
    const runner = RunnerProcess.start({ spec: specOf('container', {}, ['sh', '-c', 'sleep 60 & echo "pids $$ $!"; wait']) });
    await runner.waitForOutput(/pids \d+ \d+/);
    const pids = (/pids (\d+) (\d+)/.exec(runner.stdout) ?? []).slice(1).map(Number);
    expect(pids.every(isAlive)).toBe(true);
    runner.child.kill('SIGTERM');
    expect((await runner.exited()).code).toBe(143);
    await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 2_000 });
  });

  it('SIGTERM during a sql fetch exits 143 and removes the temp folder', async () => {
    const tmpDir = join(scratch, 'sql-tmp');
    await mkdir(tmpDir);
    const server = await FixtureServer.start();
    server.route('GET', '/slow.csv', () => undefined); // never answers
    try {
      const runner = RunnerProcess.start({
        spec: specOf('sql', { sources: { slow: { url: server.url('/slow.csv'), format: 'csv' } }, sql: 'SELECT * FROM slow' }),
        env: { FERRY_RESULT_URL: server.url('/upload'), FERRY_RESULT_TOKEN: 't', FERRY_SOURCE_ALLOW_LOOPBACK: 'true', FERRY_TMP_DIR: tmpDir },
      });
      await vi.waitFor(() => expect(server.requestsTo('/slow.csv')).toHaveLength(1), { timeout: 10_000 });
      expect(await readdir(tmpDir)).toHaveLength(1);
      runner.child.kill('SIGTERM');
      expect((await runner.exited()).code).toBe(143);
      expect(await readdir(tmpDir)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
