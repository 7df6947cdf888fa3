import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ensureNatsServer } from '../../scripts/lib/nats-server.ts';
import { CONTROLLER_MAIN, GATEWAY_MAIN, REPO_ROOT, RUNNER_MAIN } from './paths.ts';

/** Before any suite: a nats-server binary (found or built once) and the built apps. */
export default async function setup(): Promise<void> {
  process.env['FERRY_TEST_NATS_SERVER'] = await ensureNatsServer((line) => console.log(line));
  if (![GATEWAY_MAIN, CONTROLLER_MAIN, RUNNER_MAIN].every((path) => existsSync(path))) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
