// `npm start`: the whole system on one machine (docs/architecture.md §7) — NATS, the gateway and the controller
// with the local executor (each job a runner process). Prints the URL, a key and a curl line.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNatsServer, isListening, startNatsServer, type RunningNatsServer } from './lib/nats-server.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
/** Keys, secrets and NATS' data; `FERRY_STATE_DIR` moves it (the test of this script does). */
const stateDir = process.env['FERRY_STATE_DIR'] ?? join(root, '.ferry');
const port = Number(process.env['PORT'] ?? 8080);
const natsPort = Number(process.env['FERRY_NATS_PORT'] ?? 4222);
const say = (line: string): void => void process.stdout.write(`[ferry] ${line}\n`);

/**
 * NATS_URL if set; else a server already on the port (given this state's token, which a server
 * without auth ignores); else nats-server started here, requiring a token made once in
 * `.ferry/nats-token`: a job's program or another local user cannot reach the job store without it.
 */
async function nats(): Promise<{ url: string; token?: string; server?: RunningNatsServer }> {
  const configured = process.env['NATS_URL'];
  if (configured !== undefined && configured !== '') {
    say(`using NATS at ${configured} (NATS_URL)`);
    return { url: configured };
  }
  const token = await stateSecret('nats-token', 24);
  if (await isListening(natsPort)) {
    say(`using the NATS server already listening on 127.0.0.1:${natsPort}`);
    return { url: `nats://127.0.0.1:${natsPort}`, token };
  }
  const binary = await ensureNatsServer(say);
  const server = await startNatsServer({ binary, port: natsPort, storeDir: join(stateDir, 'nats'), token });
  say(`started nats-server (JetStream, sync_interval: always, a token from ${join(stateDir, 'nats-token')}, data in ${join(stateDir, 'nats')}) at ${server.url}`);
  return { url: server.url, token, server };
}

/** A random secret kept in the state folder (mode 0600), made on first use. */
async function stateSecret(name: string, bytes: number): Promise<string> {
  const file = join(stateDir, name);
  if (!existsSync(file)) {
    await mkdir(stateDir, { recursive: true });
    await writeFile(file, `${randomBytes(bytes).toString('base64url')}\n`, { mode: 0o600 });
  }
  return (await readFile(file, 'utf8')).trim();
}

/** One key for the `local` tenant, made once and kept in .ferry/api-key so curl lines keep working. */
async function apiKeys(): Promise<{ keys: string; shown: string }> {
  const configured = process.env['FERRY_API_KEYS'];
  if (configured !== undefined && configured !== '') {
    return { keys: configured, shown: configured.split(',')[0]?.split(':')[1] ?? '<your key>' };
  }
  const key = await stateSecret('api-key', 24);
  return { keys: `local:${key}`, shown: key };
}

/** The secret the gateway and controller share to sign and check per-attempt result tokens. */
async function resultSecret(): Promise<string> {
  const configured = process.env['FERRY_RESULT_SECRET'];
  if (configured !== undefined && configured !== '') return configured;
  return stateSecret('result-secret', 32);
}

async function main(): Promise<void> {
  const { url, token, server } = await nats();
  const { keys, shown } = await apiKeys();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    NATS_URL: url,
    ...(token === undefined ? {} : { NATS_TOKEN: token }),
    FERRY_API_KEYS: keys,
    FERRY_RESULT_SECRET: await resultSecret(),
    FERRY_GATEWAY_URL: base,
    FERRY_EXIT_RECORD_DIR: process.env['FERRY_EXIT_RECORD_DIR'] ?? join(stateDir, 'exits'),
    HOST: process.env['HOST'] ?? '127.0.0.1',
    PORT: String(port),
  };
  const children: ChildProcess[] = [
    spawn(process.execPath, [join(root, 'apps/gateway/dist/main.js')], { env, stdio: 'inherit' }),
    spawn(process.execPath, [join(root, 'apps/controller/dist/main.js')], { env, stdio: 'inherit' }),
  ];

  const shutdown = async (code: number): Promise<void> => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    const running = children.filter((child) => child.exitCode === null);
    await Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    await server?.stop();
    process.exit(code);
  };
  for (const child of children) child.once('exit', (code) => void shutdown(code ?? 1));
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  for (let tries = 0; tries < 100 && !(await fetch(`${base}/readyz`).then((r) => r.ok, () => false)); tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  say(`gateway ready at ${base}  (API docs: ${base}/docs)`);
  say(`API key (tenant "local"): ${shown}`);
  const sample = `file://${join(root, 'data/samples/orders.csv')}`;
  const job = {
    pipeline: 'sql',
    params: {
      sources: { orders: { url: sample, format: 'csv' } },
      sql: 'SELECT city, count(*) AS orders, round(sum(quantity * unit_price), 2) AS revenue FROM orders GROUP BY city ORDER BY revenue DESC',
    },
  };
  say('submit a SQL job over the sample CSV in data/samples (answers 202 and the job id):');
  process.stdout.write(
    `  curl -s -X POST ${base}/v1/jobs -H 'Authorization: Bearer ${shown}' -H 'Content-Type: application/json' \\\n` +
      `    -d '${JSON.stringify(job)}'\n`,
  );
  say('then follow it and fetch its result (CSV):');
  process.stdout.write(`  curl -sN ${base}/v1/jobs/<id>/events -H 'Authorization: Bearer ${shown}'\n`);
  process.stdout.write(`  curl -s ${base}/v1/jobs/<id>/result -H 'Authorization: Bearer ${shown}'\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[ferry] ${(error as Error).message}\n`);
  process.exit(1);
});
