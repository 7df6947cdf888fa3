// The embedded NATS server's rendered configuration really works: nats-server (the version Ferry
// tests with) starts from it with JetStream, fsync before every ack and the limits from values,
// answers the StatefulSet's probe paths, and admits only clients holding the token.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { ensureNatsServer, freePort, isListening, NATS_SERVER_VERSION } from '../../scripts/lib/nats-server.ts';
import type { K8sTools } from '../../scripts/k8s-tools.ts';
import { find, podTemplates, renderChart, type Manifest } from './support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
let natsServer: string;
beforeAll(async () => {
  tools = await k8sTools();
  natsServer = process.env['FERRY_TEST_NATS_SERVER'] ?? (await ensureNatsServer());
}, TOOLS_TIMEOUT_MS);

interface RunningServer {
  readonly url: string;
  readonly monitor: string;
  readonly process: ChildProcess;
}

/** Starts nats-server from the chart's config, moved to loopback ports and a temporary store. */
async function startFromChart(manifests: readonly Manifest[], token: string | undefined): Promise<RunningServer> {
  const config = (find(manifests, 'ConfigMap', 'ferry-nats')['data'] as Record<string, string>)['nats.conf'] ?? '';
  const dir = await mkdtemp(join(tmpdir(), 'ferry-chart-nats-'));
  const [port, monitorPort] = [await freePort(), await freePort()];
  const local = [
    ['listen: 0.0.0.0:4222', `listen: 127.0.0.1:${port}`],
    ['http: 0.0.0.0:8222', `http: 127.0.0.1:${monitorPort}`],
    ['store_dir: /data', `store_dir: ${JSON.stringify(join(dir, 'data'))}`],
  ].reduce((text, [from = '', to = '']) => {
    expect(text, `the rendered nats.conf has "${from}"`).toContain(from);
    return text.replace(from, to);
  }, config);
  await writeFile(join(dir, 'nats.conf'), local);

  const child = spawn(natsServer, ['--config', join(dir, 'nats.conf')], {
    env: { ...process.env, ...(token === undefined ? {} : { NATS_TOKEN: token }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  onTestFinished(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });
  const deadline = Date.now() + 15_000;
  while (!(await isListening(port)) || !(await isListening(monitorPort))) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`nats-server did not start from the chart's config:\n${output}\n${local}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `nats://127.0.0.1:${port}`, monitor: `http://127.0.0.1:${monitorPort}`, process: child };
}

function secretValue(manifests: readonly Manifest[], name: string, key: string): string {
  const data = (find(manifests, 'Secret', name)['data'] as Record<string, string>)[key] ?? '';
  return Buffer.from(data, 'base64').toString('utf8');
}

describe('embedded NATS', () => {
  it('runs the nats-server version the tests use', async () => {
    const statefulSet = podTemplates(await renderChart(tools.helm)).find(({ owner }) => owner === 'StatefulSet/ferry-nats');
    expect(statefulSet?.spec.containers[0]?.image).toBe(`nats:${NATS_SERVER_VERSION.slice(1)}-alpine`);
  });

  it('starts from the rendered config: JetStream, sync always, limits from values, token required', async () => {
    const manifests = await renderChart(tools.helm, [
      '--set',
      'nats.embedded.jetstream.maxMemoryStore=64MB',
      '--set',
      'nats.embedded.jetstream.maxFileStore=2GB',
      '--set',
      'storage.natsBytes=1073741824',
    ]);
    const token = secretValue(manifests, 'ferry-nats-auth', 'token');
    const server = await startFromChart(manifests, token);

    const varz = (await (await fetch(`${server.monitor}/varz`)).json()) as {
      auth_required?: boolean;
      jetstream?: { config?: Record<string, unknown> };
    };
    expect(varz.auth_required).toBe(true);
    expect(varz.jetstream?.config).toMatchObject({ sync_always: true, max_memory: 64 * 1024 ** 2, max_storage: 2 * 1024 ** 3 });

    // The StatefulSet's probes answer 200 on a healthy server.
    const pod = podTemplates(manifests).find(({ owner }) => owner === 'StatefulSet/ferry-nats')?.spec.containers[0] as unknown as Record<
      string,
      { httpGet: { path: string } }
    >;
    const paths = ['startupProbe', 'livenessProbe', 'readinessProbe'].map((probe) => pod[probe]?.httpGet.path ?? '');
    expect(paths).toEqual(['/healthz', '/healthz?js-enabled-only=true', '/healthz?js-server-only=true']);
    for (const path of paths) expect((await fetch(`${server.monitor}${path}`)).status, path).toBe(200);

    const client = await connect({ servers: server.url, token, reconnect: false });
    try {
      const account = await (await jetstreamManager(client)).getAccountInfo();
      expect(account.limits.max_storage).toBe(-1);
    } finally {
      await client.close();
    }
    await expect(connect({ servers: server.url, token: 'not-the-token', reconnect: false })).rejects.toThrow(/Authorization Violation/i);
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
  });

  it('takes any client without auth when nats.embedded.auth.enabled=false', async () => {
    const manifests = await renderChart(tools.helm, ['--set', 'nats.embedded.auth.enabled=false']);
    expect(manifests.some((manifest) => manifest.kind === 'Secret' && manifest.metadata.name === 'ferry-nats-auth')).toBe(false);
    const server = await startFromChart(manifests, undefined);
    const client = await connect({ servers: server.url, reconnect: false });
    await client.close();
  });
});
