import { join } from 'node:path';
import { TEST_KEYS } from '../../support/gateway.ts';
import { listJobIds } from '../../support/jobs.ts';
import { REPO_ROOT } from '../../support/paths.ts';
import type { FerrySystem } from '../../support/system.ts';

/** The fuzz catalog: every job ends within seconds; `anything` accepts any params. */
export const FUZZ_CATALOG = join(REPO_ROOT, 'test', 'fuzz', 'catalog.yaml');

export const fuzzSystemOptions = {
  // Room for the 200 streams of one tenant that the hostile suite holds open at once.
  gatewayEnv: { FERRY_PIPELINES: FUZZ_CATALOG, FERRY_STREAMS_PER_TENANT: '250' },
  controllerEnv: { FERRY_PIPELINES: FUZZ_CATALOG },
} as const;

/** What both tenants can see, for "nothing was created" checks. */
export async function jobCounts(system: FerrySystem): Promise<{ acme: number; globex: number }> {
  return {
    acme: (await listJobIds(system.api(TEST_KEYS.acme))).length,
    globex: (await listJobIds(system.api(TEST_KEYS.globex))).length,
  };
}

/** The gateway answers `/readyz` 200 right now; if it does not answer at all, fails with its exit and output. */
export async function expectGatewayReady(system: FerrySystem): Promise<void> {
  const status = await fetch(`${system.gateway.url}/readyz`).then((response) => response.status, () => 0);
  if (status === 0) await system.gateway.waitUntil('/readyz', 1);
  expect(status).toBe(200);
}

/** The gateway's own resident memory and open file descriptors, from its Prometheus metrics. */
export async function gatewayProcess(system: FerrySystem): Promise<{ rss: number; fds: number }> {
  const text = await (await fetch(`${system.gateway.url}/metrics`)).text();
  const value = (name: string): number => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    if (match?.[1] === undefined) throw new Error(`no ${name} in /metrics`);
    return Number(match[1]);
  };
  return { rss: value('process_resident_memory_bytes'), fds: value('process_open_fds') };
}

/** How many responses of this status the gateway has sent, by its request-duration histogram. */
export async function answersWithStatus(system: FerrySystem, status: number): Promise<number> {
  const text = await (await fetch(`${system.gateway.url}/metrics`)).text();
  const counts = text.match(new RegExp(`^ferry_http_request_duration_seconds_count\\{[^}]*status="${status}"[^}]*\\} \\S+$`, 'gm')) ?? [];
  return counts.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

export const MiB = 1024 * 1024;
