import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode } from '@ferry/contracts/runner';
import { parseSleepParams } from './params.parser.js';
import type { PipelineContext } from './pipeline.js';

/** Sleeps `seconds`, with a progress marker every `progressEvery` seconds; uploads nothing. */
export async function runSleepPipeline({ spec, output, lifecycle }: PipelineContext): Promise<number> {
  const { seconds, progressEvery } = parseSleepParams(spec.params);
  output.log(`sleep: sleeping ${seconds} s${progressEvery === undefined ? '' : `, progress every ${progressEvery} s`}`);
  const start = performance.now();
  const totalMs = seconds * 1000;
  // Ticks are scheduled from the start, not from the previous tick, so markers do not drift.
  const tickMs = progressEvery === undefined ? totalMs : Math.min(progressEvery * 1000, totalMs);
  for (let tick = 1; tickMs > 0; tick += 1) {
    const targetMs = Math.min(tick * tickMs, totalMs);
    await delay(Math.max(0, targetMs - (performance.now() - start)), undefined, { signal: lifecycle.signal });
    if (progressEvery !== undefined) {
      const percent = Math.round((targetMs / totalMs) * 1000) / 10;
      output.progress({ percent, message: `slept ${round(targetMs / 1000)} of ${seconds} s` });
    }
    if (targetMs >= totalMs) break;
  }
  output.log(`sleep: done after ${round((performance.now() - start) / 1000)} s`);
  return ExitCode.Succeeded;
}

function round(seconds: number): number {
  return Math.round(seconds * 100) / 100;
}
