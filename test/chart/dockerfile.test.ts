// No Docker engine runs here, so the Dockerfile's assumptions are checked against the repo instead:
// what it copies exists and is not excluded by .dockerignore, the build produces every file the
// runtime loads, the chart's container commands name built files, and the image's non-root uid is
// the chart's runAsUser.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { K8sTools } from '../../scripts/k8s-tools.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { CHART_DIR, podTemplates, renderChart } from './support/chart.ts';
import { k8sTools, TOOLS_TIMEOUT_MS } from './support/tools.ts';

let tools: K8sTools;
let dockerfile: Instruction[];
let ignored: (path: string) => boolean;
beforeAll(async () => {
  tools = await k8sTools();
  dockerfile = parseDockerfile(await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  ignored = dockerignore(await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8'));
}, TOOLS_TIMEOUT_MS);

interface Instruction {
  readonly stage: string;
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with continuation lines joined, each tagged with its stage (`FROM … AS <stage>`). */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  let stage = '';
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    return { stage, keyword: keyword.toUpperCase(), args };
  });
}

/** A .dockerignore matcher for the pattern forms it uses: names, `*`, `**`; no negations. */
function dockerignore(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  expect(
    patterns.filter((pattern) => pattern.startsWith('!')),
    'negated patterns are not modelled here',
  ).toEqual([]);
  const regexes = patterns.map(
    (pattern) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]]/g, '\\$&')
          .replace(/\*\*\//g, '\u0000')
          .replace(/\*/g, '[^/]*')
          .replace(/\u0000/g, '(.*/)?')}$`,
      ),
  );
  return (path) => {
    const parts = path.split('/');
    return parts.some((_part, index) => regexes.some((regex) => regex.test(parts.slice(0, index + 1).join('/'))));
  };
}

function copiesFromContext(): Array<{ stage: string; sources: string[] }> {
  return dockerfile
    .filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from='))
    .map((instruction) => {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'));
      return { stage: instruction.stage, sources: words.slice(0, -1) };
    });
}

async function workspaces(): Promise<string[]> {
  const found: string[] = [];
  for (const root of ['apps', 'libs']) {
    for (const entry of await readdir(join(REPO_ROOT, root), { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(REPO_ROOT, root, entry.name, 'package.json'))) found.push(`${root}/${entry.name}`);
    }
  }
  return found;
}

describe('Dockerfile', () => {
  it('copies from the build context only paths that exist and .dockerignore lets through', () => {
    const copies = copiesFromContext();
    expect(copies.length).toBeGreaterThan(3);
    for (const { stage, sources } of copies) {
      for (const source of sources) {
        expect(existsSync(join(REPO_ROOT, source)), `${stage}: COPY ${source}`).toBe(true);
        expect(ignored(source), `${stage}: COPY ${source} is excluded by .dockerignore`).toBe(false);
      }
    }
  });

  it('sends every source file the build compiles, and no node_modules or dist', async () => {
    for (const workspace of await workspaces()) {
      for (const file of ['package.json', 'tsconfig.lib.json', 'src/main.ts', 'src/index.ts']) {
        if (existsSync(join(REPO_ROOT, workspace, file))) expect(ignored(`${workspace}/${file}`), `${workspace}/${file}`).toBe(false);
      }
      expect(ignored(`${workspace}/node_modules`)).toBe(true);
      expect(ignored(`${workspace}/dist`)).toBe(true);
    }
    expect(ignored('node_modules')).toBe(true);
    expect(ignored('libs/contracts/src/job.transition.spec.ts')).toBe(true);
  });

  it('builds every workspace into dist/, where its package exports point (production reads dist)', async () => {
    for (const workspace of await workspaces()) {
      const manifest = JSON.parse(await readFile(join(REPO_ROOT, workspace, 'package.json'), 'utf8')) as {
        exports?: Record<string, { default?: string }>;
      };
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        if (target.default === undefined) continue;
        expect(target.default, `${workspace} exports ${subpath}`).toMatch(/^\.\/dist\//);
        expect(existsSync(join(REPO_ROOT, workspace, target.default)), `${workspace}/${target.default} (after npm run build)`).toBe(true);
      }
    }
    for (const app of ['gateway', 'controller', 'runner'])
      expect(existsSync(join(REPO_ROOT, 'apps', app, 'dist', 'main.js')), app).toBe(true);
    // The runtime stage also ships the default catalog and the samples the apps' defaults name.
    expect(existsSync(join(REPO_ROOT, 'pipelines', 'catalog.yaml'))).toBe(true);
    expect(existsSync(join(REPO_ROOT, 'data', 'samples'))).toBe(true);
    expect(
      copiesFromContext()
        .filter(({ stage }) => stage === 'runtime')
        .flatMap(({ sources }) => sources),
    ).toEqual(['pipelines', 'data/samples']);
  });

  it('runs Node 24 (the version package.json pins) with node as the entrypoint, in /app', () => {
    const base = /^NODE_IMAGE=(\S+)$/.exec(dockerfile.find((instruction) => instruction.keyword === 'ARG')?.args ?? '')?.[1];
    expect(base).toMatch(/^node:24[.-]/);
    const runtime = dockerfile.filter((instruction) => instruction.stage === 'runtime');
    expect(runtime.find((instruction) => instruction.keyword === 'WORKDIR')?.args).toBe('/app');
    expect(runtime.find((instruction) => instruction.keyword === 'ENTRYPOINT')?.args).toBe('["node"]');
    expect(runtime.find((instruction) => instruction.keyword === 'ENV')?.args).toBe('NODE_ENV=production');
    // Production dependencies only, from the lockfile, without install scripts.
    expect(
      dockerfile.some(
        (instruction) =>
          instruction.stage === 'prod-deps' &&
          instruction.keyword === 'RUN' &&
          instruction.args.startsWith('npm ci --omit=dev --ignore-scripts'),
      ),
    ).toBe(true);
  });

  it("runs as a numeric non-root uid equal to the chart's runAsUser and the job pods' FERRY_RUNNER_UID", async () => {
    const runtime = dockerfile.filter((instruction) => instruction.stage === 'runtime');
    const user = runtime.filter((instruction) => instruction.keyword === 'USER').at(-1)?.args ?? '';
    const [uid, gid] = user.split(':').map(Number);
    expect(user).toMatch(/^\d+:\d+$/);
    expect(uid).toBeGreaterThan(0);
    // The user exists in the image (a passwd entry), with that uid and gid.
    expect(
      runtime.some((instruction) => instruction.keyword === 'RUN' && instruction.args.includes(`useradd --uid ${uid} --gid ${gid}`)),
    ).toBe(true);
    const values = parse(await readFile(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
      podSecurityContext: { runAsUser: number; runAsGroup: number };
      containerSecurityContext: { runAsUser: number; runAsGroup: number };
    };
    expect([values.podSecurityContext.runAsUser, values.containerSecurityContext.runAsUser]).toEqual([uid, uid]);
    expect([values.podSecurityContext.runAsGroup, values.containerSecurityContext.runAsGroup]).toEqual([gid, gid]);
    const controller = podTemplates(await renderChart(tools.helm)).find(({ owner }) => owner === 'Deployment/ferry-controller')?.spec
      .containers[0];
    expect(controller?.env?.find((variable) => variable.name === 'FERRY_RUNNER_UID')?.value).toBe(String(uid));
  });
});

describe("the chart's container commands", () => {
  it('run node on files the build produces, relative to the image WORKDIR (/app)', async () => {
    const commands = podTemplates(await renderChart(tools.helm))
      .flatMap(({ owner, spec }) =>
        spec.containers.map((container) => ({ owner, command: container.command ?? [], args: container.args ?? [] })),
      )
      .filter(({ command }) => command[0] === 'node');
    expect(commands.map(({ owner }) => owner).sort()).toEqual([
      'Deployment/ferry-controller',
      'Deployment/ferry-gateway',
      'Pod/ferry-test-submit-sleep-job',
    ]);
    // The command job pods run (the controller's FERRY_RUNNER_CONTAINER_COMMAND): absolute, under WORKDIR /app.
    const controller = podTemplates(await renderChart(tools.helm)).find(({ owner }) => owner === 'Deployment/ferry-controller')?.spec
      .containers[0];
    const runner = JSON.parse(
      controller?.env?.find((variable) => variable.name === 'FERRY_RUNNER_CONTAINER_COMMAND')?.value ?? '[]',
    ) as string[];
    expect(runner).toEqual(['node', '/app/apps/runner/dist/main.js']);
    expect(existsSync(join(REPO_ROOT, (runner[1] ?? '').replace(/^\/app\//, '')))).toBe(true);
    for (const { owner, command, args } of commands) {
      if (command.includes('-e')) continue; // the helm test: an inline script, no file
      expect(command, owner).toEqual(['node']);
      expect(args[0], owner).toMatch(/^apps\/(gateway|controller)\/dist\/main\.js$/);
      expect(existsSync(join(REPO_ROOT, args[0] ?? '')), `${owner}: ${args[0]}`).toBe(true);
    }
  });
});
