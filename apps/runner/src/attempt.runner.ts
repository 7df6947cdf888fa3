import { CURRENT_ATTEMPT } from '@ferry/contracts/runner';
import { writeExitRecord } from './exit-record.writer.js';
import { Lifecycle } from './lifecycle.js';
import { PIPELINES } from './pipelines/pipeline.js';
import { loadRunnerConfig } from './runner.config.js';
import { RunnerFailure, UNKNOWN_FAILURE_EXIT } from './runner.failure.js';
import { ERROR_MESSAGE_MAX, createProcessOutput, truncate } from './runner.output.js';
import { readRunnerSpec } from './runner-spec.reader.js';

/** One attempt of one job: read the spec, run its pipeline, say why if it failed, exit with the code. */
export async function runAttempt(): Promise<void> {
  // A reader that went away (EPIPE) must not crash the attempt: the upload still counts.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const output = createProcessOutput();
  const lifecycle = new Lifecycle(output, process);
  lifecycle.watchSignals();
  try {
    const config = loadRunnerConfig(process.env);
    if (config.watchStdin) lifecycle.watchInput(process.stdin);
    const spec = readRunnerSpec(process.env);
    const { exitRecord } = config;
    const { attempt } = spec;
    // Only the local executor asks for an exit record, and it always names the attempt's number.
    if (exitRecord !== undefined && attempt !== CURRENT_ATTEMPT) {
      lifecycle.onExit((exitCode, error) =>
        writeExitRecord(exitRecord, { attempt, exitCode, finishedAt: new Date().toISOString(), ...(error === undefined ? {} : { error }) }),
      );
    }
    output.log(`runner: job ${spec.id} attempt ${spec.attempt}: pipeline ${spec.pipeline} (${spec.kind})`);
    const pipeline = await PIPELINES[spec.kind]();
    lifecycle.finish(await pipeline({ spec, config, output, lifecycle }));
  } catch (error) {
    if (lifecycle.stopping) return;
    if (error instanceof RunnerFailure) {
      output.warn(`runner: ${error.message}`);
      const report = { reason: error.reason, message: truncate(error.message, ERROR_MESSAGE_MAX) };
      output.error(report);
      lifecycle.finish(error.exitCode, report);
      return;
    }
    output.warn(`runner: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    lifecycle.finish(UNKNOWN_FAILURE_EXIT);
  }
}
