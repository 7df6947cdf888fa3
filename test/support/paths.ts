import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GATEWAY_MAIN = join(REPO_ROOT, 'apps', 'gateway', 'dist', 'main.js');
