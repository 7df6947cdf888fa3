// HTTP load from a separate process (autocannon in `load.child.ts`), so the load generator never
// shares an event loop with the harness or with the server under test.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./load.child.ts', import.meta.url));

export interface LoadOptions {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/** Runs the load and fails if any answer was not 2xx: a benchmark of errors is no benchmark. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, [CHILD, JSON.stringify(options)], { maxBuffer: 16 * 1024 * 1024, timeout: (options.seconds + 60) * 1000 });
  const result = JSON.parse(stdout) as LoadResult;
  if (result.total === 0 || result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${options.method ?? 'GET'} ${options.url}: ${result.total} requests, ${result.non2xx} not 2xx, ${result.errors} errors (${result.timeouts} timeouts)`);
  }
  return result;
}
