import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GATEWAY_MAIN = join(REPO_ROOT, 'apps', 'gateway', 'dist', 'main.js');
export const CONTROLLER_MAIN = join(REPO_ROOT, 'apps', 'controller', 'dist', 'main.js');
export const RUNNER_MAIN = join(REPO_ROOT, 'apps', 'runner', 'dist', 'main.js');
export const TEST_CATALOG = join(REPO_ROOT, 'test', 'fixtures', 'catalog.yaml');
