// The load generator process: autocannon with the options in argv[2], one JSON summary on stdout.
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './load.ts';

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const result = await autocannon({
  url: options.url,
  method: options.method ?? 'GET',
  connections: options.connections,
  duration: options.seconds,
  ...(options.body === undefined ? {} : { body: options.body }),
  headers: options.headers ?? {},
  timeout: 10,
});
const summary: LoadResult = {
  // Completed requests over the measured time, not the mean of per-second buckets.
  requestsPerSecond: result.requests.total / result.duration,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
};
process.stdout.write(JSON.stringify(summary));
