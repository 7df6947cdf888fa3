import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ensureNatsServer } from '../../scripts/lib/nats-server.ts';
import { GATEWAY_MAIN, REPO_ROOT } from './paths.ts';

/** Before any suite: a nats-server binary (found or built once) and a built gateway. */
export default async function setup(): Promise<void> {
  process.env['FERRY_TEST_NATS_SERVER'] = await ensureNatsServer((line) => console.log(line));
  if (!existsSync(GATEWAY_MAIN)) execFileSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
