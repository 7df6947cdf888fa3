import type { RunnerSpec } from '@ferry/contracts/runner';
import type { Lifecycle } from '../lifecycle.js';
import type { RunnerConfig } from '../runner.config.js';
import type { RunnerOutput } from '../runner.output.js';

export interface PipelineContext {
  readonly spec: RunnerSpec;
  readonly config: RunnerConfig;
  readonly output: RunnerOutput;
  readonly lifecycle: Lifecycle;
}

/** Runs one attempt and resolves to the exit code; a `RunnerFailure` carries its own. */
export type Pipeline = (context: PipelineContext) => Promise<number>;

/**
 * Loaded on demand, so a `sleep` or `fail` attempt never loads DuckDB's native module or the
 * HTTP client: dispatch latency is what the diagnostic pipelines measure.
 */
export const PIPELINES: Readonly<Record<RunnerSpec['kind'], () => Promise<Pipeline>>> = {
  sleep: async () => (await import('./sleep.pipeline.js')).runSleepPipeline,
  fail: async () => (await import('./fail.pipeline.js')).runFailPipeline,
  container: async () => (await import('./container.pipeline.js')).runContainerPipeline,
  sql: async () => (await import('./sql.pipeline.js')).runSqlPipeline,
};
