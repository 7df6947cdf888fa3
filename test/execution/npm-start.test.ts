import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { Api } from '../support/api.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { isFinal, waitForJob } from '../support/system.ts';

let child: ChildProcess;
let output = '';
let stateDir: string;
let natsPort: number;
let base: string;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'ferry-start-'));
  natsPort = await freePort();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), FERRY_NATS_PORT: String(natsPort), FERRY_STATE_DIR: stateDir, LOG_LEVEL: 'warn' };
  for (const name of ['NATS_URL', 'FERRY_API_KEYS', 'FERRY_RESULT_SECRET', 'FERRY_EXIT_RECORD_DIR']) delete env[name];
  child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'start.ts')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await vi.waitFor(() => expect(output).toContain('then follow it and fetch its result'), { timeout: 60_000, interval: 100 });
}, 90_000);
afterAll(async () => {
  if (child?.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  await rm(stateDir, { recursive: true, force: true });
});

describe('npm start (scripts/start.ts)', () => {
  it('runs the sample job it prints, with the key it prints', async () => {
    const key = /API key \(tenant "local"\): (\S+)/.exec(output)?.[1];
    expect(key).toBe((await readFile(join(stateDir, 'api-key'), 'utf8')).trim());
    const body = JSON.parse(/-d '(\{.*\})'/.exec(output)?.[1] ?? '{}') as unknown;
    const api = new Api(base, key);
    const submitted = await api.post('/v1/jobs', body);
    expect(submitted.status).toBe(202);
    const job = await waitForJob(api, submitted.body.id, isFinal, 60_000);
    expect(job).toMatchObject({ state: 'succeeded', result: { contentType: 'text/csv' } });
    expect((await api.get(`/v1/jobs/${job.id}/result`)).text.split('\n')[0]).toBe('city,orders,revenue');
  });

  it("starts its NATS with a generated token: a client without it is refused, one with it connects", async () => {
    const token = (await readFile(join(stateDir, 'nats-token'), 'utf8')).trim();
    expect(token.length).toBeGreaterThanOrEqual(32);
    await expect(connect({ servers: `127.0.0.1:${natsPort}`, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
    const client = await connect({ servers: `127.0.0.1:${natsPort}`, token, reconnect: false });
    await client.close();
  });
});
