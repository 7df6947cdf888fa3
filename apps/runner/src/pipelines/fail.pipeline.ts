import { setTimeout as delay } from 'node:timers/promises';
import { parseFailParams } from './params.parser.js';
import type { PipelineContext } from './pipeline.js';

/** Exits with `exitCode` after `afterSeconds`: 2 is permanent, 75 transient, others "unknown". */
export async function runFailPipeline({ spec, output, lifecycle }: PipelineContext): Promise<number> {
  const { exitCode, afterSeconds } = parseFailParams(spec.params);
  if (afterSeconds > 0) await delay(afterSeconds * 1000, undefined, { signal: lifecycle.signal });
  output.log(`fail: exiting with code ${exitCode} as the params ask${afterSeconds > 0 ? ` (after ${afterSeconds} s)` : ''}`);
  return exitCode;
}
