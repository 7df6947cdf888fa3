import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { FixtureServer } from './support/fixture-server.ts';
import { ensureRunnerBuilt, runRunner, specOf, type RunnerRun } from './support/runner-process.ts';

let server: FixtureServer;
let scratch: string;
let tmpDir: string;
let dataDir: string;

beforeAll(async () => {
  ensureRunnerBuilt();
  scratch = await mkdtemp(join(tmpdir(), 'ferry-runner-policy-'));
  tmpDir = join(scratch, 'tmp');
  dataDir = join(scratch, 'data');
  await mkdir(tmpDir);
  await mkdir(dataDir);
  await writeFile(join(scratch, 'secret.csv'), 'secret\n42\n');
  await symlink(join(scratch, 'secret.csv'), join(dataDir, 'escape.csv'));
  server = await FixtureServer.start();
  server.serve('/sales.csv', 'region,amount\nnorth,1\n', 'text/csv');
  server.redirect('/to-metadata', 'http://169.254.169.254/latest/meta-data/iam/security-credentials/');
  server.redirect('/to-mapped-metadata', 'http://[::ffff:169.254.169.254]/latest/meta-data/');
  server.redirect('/to-file', 'file:///etc/passwd');
  server.redirect('/loop', '/loop');
  server.answer('GET', '/gone', 404);
  server.answer('GET', '/busy', 503);
  server.answer('PUT', '/upload', 204);
});
afterAll(async () => {
  await server?.close();
  await rm(scratch, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await readdir(tmpDir)).toEqual([]);
  // A refused or failed source never gets as far as an upload.
  expect(server.requestsTo('/upload')).toEqual([]);
  server.requests.length = 0;
});

function fetchJob(url: string, env: Record<string, string> = {}): Promise<RunnerRun> {
  return runRunner({
    spec: specOf('sql', { sources: { src: { url, format: 'csv' } }, sql: 'SELECT * FROM src' }),
    env: { FERRY_RESULT_URL: server.url('/upload'), FERRY_RESULT_TOKEN: 't', FERRY_TMP_DIR: tmpDir, FERRY_SOURCE_ALLOW_LOOPBACK: 'true', ...env },
  });
}

function expectFailure(run: RunnerRun, code: number, reason: string, message?: RegExp): void {
  expect(run.code, run.stdout + run.stderr).toBe(code);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]?.reason).toBe(reason);
  if (message) expect(run.errors[0]?.message).toMatch(message);
  expect(run.stdout).toContain(`::ferry:error {"reason":"${reason}"`);
}

describe('source policy, enforced on every connection', () => {
  it.each([
    ['the AWS/GCP/Azure metadata address', 'http://169.254.169.254/latest/meta-data/'],
    ['a link-local address', 'http://169.254.10.1:8080/x.csv'],
    ['the IPv6 metadata address', 'http://[fd00:ec2::254]/latest/meta-data/'],
    ['an IPv4-mapped metadata address', 'http://[::ffff:169.254.169.254]/'],
    ['the Alibaba metadata address', 'http://100.100.100.200/latest/meta-data/'],
    ['0.0.0.0', 'http://0.0.0.0:80/x.csv'],
    ['a private address not allowlisted', 'http://10.1.2.3/x.csv'],
  ])('refuses %s: exit 2, SourceRefused', async (_what, url) => {
    expectFailure(await fetchJob(url), 2, 'SourceRefused', /refused: the address is /);
  });

  it('refuses a redirect from the allowed loopback server to the metadata address', async () => {
    const run = await fetchJob(server.url('/to-metadata'));
    expectFailure(run, 2, 'SourceRefused', /169\.254\.169\.254.*link-local \/ cloud metadata/);
    expect(server.requestsTo('/to-metadata')).toHaveLength(1);
  });

  it('refuses a redirect to an IPv4-mapped metadata address', async () => {
    expectFailure(await fetchJob(server.url('/to-mapped-metadata')), 2, 'SourceRefused', /169\.254\.169\.254/);
  });

  it('refuses a redirect to a file:// URL', async () => {
    expectFailure(await fetchJob(server.url('/to-file')), 2, 'SourceRefused', /only http\(s\) redirects/);
  });

  it('refuses a hostname that resolves to a refused address, before connecting', async () => {
    const run = await fetchJob(server.url('/sales.csv', 'localhost'), { FERRY_SOURCE_ALLOW_LOOPBACK: 'false' });
    expectFailure(run, 2, 'SourceRefused', /source host localhost \((127\.0\.0\.1|::1)\) refused.*FERRY_SOURCE_ALLOW_LOOPBACK=true/);
    expect(server.requestsTo('/sales.csv')).toEqual([]);
  });

  it('refuses a loopback literal unless loopback is allowed', async () => {
    expectFailure(await fetchJob(server.url('/sales.csv'), { FERRY_SOURCE_ALLOW_LOOPBACK: 'false' }), 2, 'SourceRefused');
  });

  it('allows loopback through a name when loopback is allowed', async () => {
    const run = await fetchJob(server.url('/sales.csv', 'localhost'));
    expect(run.code, run.stderr).toBe(0);
    server.requests.length = 0; // this one did upload
  });

  it('stops after five redirects', async () => {
    expectFailure(await fetchJob(server.url('/loop')), 2, 'SourceUnavailable', /more than 5 redirects/);
    expect(server.requestsTo('/loop')).toHaveLength(6);
  });

  it('fails permanently on 4xx and transiently on 5xx or a refused connection', async () => {
    expectFailure(await fetchJob(server.url('/gone')), 2, 'SourceUnavailable', /answered HTTP 404/);
    expectFailure(await fetchJob(server.url('/busy')), 75, 'SourceUnreachable', /answered HTTP 503/);
    expectFailure(await fetchJob(`http://127.0.0.1:${await freePort()}/x.csv`), 75, 'SourceUnreachable', /ECONNREFUSED/);
  });

  it('caps what sources may bring to FERRY_SOURCE_MAX_BYTES', async () => {
    expectFailure(await fetchJob(server.url('/sales.csv'), { FERRY_SOURCE_MAX_BYTES: '10' }), 2, 'SourceTooLarge');
  });

  it('refuses file:// without FERRY_DATA_DIR, and outside it with one', async () => {
    expectFailure(await fetchJob('file:///etc/passwd'), 2, 'SourceRefused', /FERRY_DATA_DIR is not set/);
    expectFailure(await fetchJob('file:///etc/passwd', { FERRY_DATA_DIR: dataDir }), 2, 'SourceRefused', /outside FERRY_DATA_DIR/);
    expectFailure(await fetchJob(`file://${dataDir}/../secret.csv`, { FERRY_DATA_DIR: dataDir }), 2, 'SourceRefused', /outside/);
    expectFailure(await fetchJob(`file://${dataDir}/escape.csv`, { FERRY_DATA_DIR: dataDir }), 2, 'SourceRefused', /outside/);
  });
});
