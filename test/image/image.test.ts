// The image built without Docker (issue 10, ADR 0010), checked from the real archive and then run
// for real with Debian's runc: as uid 10001, with a read-only root and a tmpfs at /tmp, on the host's
// network. Builds (or finds) the image first with `npm run image:build`'s code: 2 to 4½ minutes
// cold, under a second warm. Needs root. Runs only when asked:
//
//   FERRY_TEST_IMAGE=1 npx vitest run --project integration test/image      (npm run test:image)
//
// FERRY_IMAGE_ARCHIVE=<path> checks that OCI archive instead of building one (e.g. a `docker build`
// exported with `docker save` … converted to OCI, or an image built on another machine).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type ImageBuild } from '../../scripts/image-build.ts';
import { ensureDebianTools, requireRoot } from '../../scripts/image/debian-tools.ts';
import { freePort } from '../../scripts/lib/nats-server.ts';
import { FixtureServer } from '../runner/support/fixture-server.ts';
import { specOf } from '../runner/support/runner-process.ts';
import { extractArchive, readOciImage, type OciImage } from './support/oci-image.ts';
import { RuncContainer, restrictedSpec, unpackImage, type ContainerExit, type RuntimeSpec } from './support/runc-container.ts';

const enabled = process.env['FERRY_TEST_IMAGE'] === '1';
const REF_NAME = 'org.opencontainers.image.ref.name';
/** The chart's runAsUser and the controller's FERRY_RUNNER_UID (Dockerfile: keep the three equal). */
const FERRY_UID = 10001;
/** The build's phase lines only; buildah's and mmdebstrap's own output reaches an error when they fail. */
const log = (line: string): void => {
  if (!/^\[(buildah|mmdebstrap|apt)\] /.test(line)) console.log(`[image] ${line}`);
};

describe.skipIf(!enabled)('the Ferry image (the Dockerfile built by buildah, run by runc)', () => {
  let build: ImageBuild | undefined;
  let archive: string;
  let work: string;
  let layout: string;
  let image: OciImage;
  let rootfs: string;
  let imageSpec: RuntimeSpec;
  const containers: RuncContainer[] = [];

  async function startContainer(name: string, options: { args?: string[]; env?: Record<string, string> }): Promise<RuncContainer> {
    const container = await RuncContainer.start(`ferry-image-${process.pid}-${name}`, join(work, 'runc'), join(work, 'bundles', name), restrictedSpec(imageSpec, { rootfs, ...options }));
    containers.push(container);
    return container;
  }

  async function runToEnd(name: string, options: { args?: string[]; env?: Record<string, string> }): Promise<ContainerExit> {
    const container = await startContainer(name, options);
    return container.exited();
  }

  beforeAll(async () => {
    requireRoot('the image test');
    await ensureDebianTools(['umoci', 'runc'], log);
    const explicit = process.env['FERRY_IMAGE_ARCHIVE'];
    if (explicit === undefined || explicit === '') {
      const started = Date.now();
      build = await buildImage(log);
      log(`${build.upToDate ? 'found' : 'built'} ${build.image.archive} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      archive = build.image.archive;
    } else archive = explicit;

    work = await mkdtemp(join(tmpdir(), 'ferry-image-test-'));
    layout = join(work, 'layout');
    await mkdir(layout);
    await mkdir(join(work, 'runc'));
    await extractArchive(archive, layout);
    image = await readOciImage(layout);
    const reference = image.manifest.annotations?.[REF_NAME];
    if (reference === undefined) throw new Error(`${archive}: its manifest has no ${REF_NAME} annotation`);
    const unpacked = await unpackImage(layout, reference, join(work, 'image-bundle'));
    rootfs = unpacked.rootfs;
    imageSpec = unpacked.spec;
  }, 30 * 60_000);

  afterAll(async () => {
    await Promise.all(containers.map((container) => container.remove()));
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('is the image image:build recorded: one manifest, every blob matching its digest', ({ skip }) => {
    if (build === undefined) return skip('FERRY_IMAGE_ARCHIVE names an archive image:build did not make');
    expect(image.manifest.digest).toBe(build.image.manifestDigest);
    expect(image.manifest.annotations?.[REF_NAME]).toBe(build.image.reference);
    expect(image.manifest.annotations?.['io.containerd.image.name']).toBe(build.image.reference);
  });

  it("has the Dockerfile's runtime config: user 10001:10001, /app, node apps/gateway/dist/main.js, NODE_ENV=production", () => {
    expect(image.config.os).toBe('linux');
    expect(image.config.architecture).toBe('amd64');
    expect(image.config.config.User).toBe(`${FERRY_UID}:${FERRY_UID}`);
    expect(image.config.config.WorkingDir).toBe('/app');
    expect(image.config.config.Entrypoint).toEqual(['node']);
    expect(image.config.config.Cmd).toEqual(['apps/gateway/dist/main.js']);
    expect(image.config.config.Env).toContain('NODE_ENV=production');
    // What umoci made of it is what runc runs below: the image's user, not root.
    expect(imageSpec.process.user).toMatchObject({ uid: FERRY_UID, gid: FERRY_UID });
    expect(imageSpec.process.args).toEqual(['node', 'apps/gateway/dist/main.js']);
  });

  it('runs as 10001:10001 with Node 24 and writes nowhere but /tmp', async () => {
    const probe = [
      "const fs = require('node:fs');",
      'const result = { uid: process.getuid(), gid: process.getgid(), node: process.version, writes: {} };',
      "for (const path of ['/app/probe', '/probe', '/tmp/probe']) {",
      "  try { fs.writeFileSync(path, 'x'); result.writes[path] = 'written'; } catch (error) { result.writes[path] = error.code; }",
      '}',
      "const root = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((line) => line.split(' ')).find((fields) => fields[4] === '/');",
      "result.rootOptions = root ? root[5].split(',') : [];",
      'console.log(JSON.stringify(result));',
    ].join('\n');
    const exit = await runToEnd('probe', { args: ['node', '-e', probe] });
    expect(exit.code, exit.stderr).toBe(0);
    const result = JSON.parse(exit.stdout) as { uid: number; gid: number; node: string; writes: Record<string, string>; rootOptions: string[] };
    expect(result).toMatchObject({ uid: FERRY_UID, gid: FERRY_UID });
    expect(result.node).toMatch(/^v24\./);
    expect(result.rootOptions).toContain('ro');
    expect(result.writes).toEqual({ '/app/probe': 'EROFS', '/probe': 'EROFS', '/tmp/probe': 'written' });
  });

  it('serves GET /healthz 200 from the default command (the gateway), with NATS nowhere to be found', async () => {
    const port = await freePort();
    const closedPort = await freePort();
    const gateway = await startContainer('gateway', {
      env: { PORT: String(port), HOST: '127.0.0.1', FERRY_AUTH: 'off', NATS_URL: `nats://127.0.0.1:${closedPort}` },
    });
    const deadline = Date.now() + 45_000;
    let status: number | undefined;
    while (status !== 200) {
      if (!gateway.running) throw new Error(`the gateway container ended:\n${gateway.output}`);
      if (Date.now() > deadline) throw new Error(`no 200 from /healthz within 45 s (last: ${status ?? 'no answer'}):\n${gateway.output}`);
      status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (response) => response.status,
        () => undefined,
      );
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.status).toBe(200);
    expect(gateway.output).not.toMatch(/EROFS|EACCES/);
  });

  it("runs a sql job with DuckDB's native addon: the runner reads data/samples/orders.csv, queries it, uploads the result", async () => {
    const csv = await readFile(join(rootfs, 'app', 'data', 'samples', 'orders.csv'), 'utf8');
    const totals = new Map<string, { orders: number; quantity: number }>();
    const [header, ...rows] = csv.trim().split('\n');
    const columns = (header ?? '').split(',');
    for (const row of rows) {
      const fields = row.split(',');
      const city = fields[columns.indexOf('city')] ?? '';
      const entry = totals.get(city) ?? { orders: 0, quantity: 0 };
      totals.set(city, { orders: entry.orders + 1, quantity: entry.quantity + Number(fields[columns.indexOf('quantity')]) });
    }
    const expected = ['city,orders,quantity', ...[...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([city, total]) => `${city},${total.orders},${total.quantity}`)].join('\n') + '\n';

    const server = await FixtureServer.start();
    try {
      server.answer('PUT', '/upload', 204);
      const spec = specOf('sql', {
        sources: { orders: { url: 'file:///app/data/samples/orders.csv', format: 'csv' } },
        sql: 'SELECT city, count(*) AS orders, sum(quantity) AS quantity FROM orders GROUP BY city ORDER BY city',
      });
      const exit = await runToEnd('runner-sql', {
        args: ['node', 'apps/runner/dist/main.js'],
        env: {
          FERRY_JOB: JSON.stringify(spec),
          FERRY_DATA_DIR: '/app/data/samples',
          FERRY_RESULT_URL: server.url('/upload'),
          FERRY_RESULT_TOKEN: 'image-test-token-0123456789',
        },
      });
      expect(exit.code, exit.stdout + exit.stderr).toBe(0);
      expect(exit.stdout).toMatch(/DuckDB ready and locked down/);
      const [upload, ...more] = server.requestsTo('/upload');
      expect(more).toHaveLength(0);
      expect(upload?.headers['content-type']).toBe('text/csv');
      expect(upload?.body.toString()).toBe(expected);
    } finally {
      await server.close();
    }
  });
});
