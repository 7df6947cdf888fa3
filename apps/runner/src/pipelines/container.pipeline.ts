import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode } from '@ferry/contracts/runner';
import { forwardLines } from '../support/line-forwarder.js';
import { errorMessage, permanent, RunnerReason } from '../runner.failure.js';
import type { PipelineContext } from './pipeline.js';

/** How long a stopped child gets between SIGTERM and SIGKILL. */
const CHILD_STOP_GRACE_MS = 5_000;
/** How long the child's pipes may stay open after it exited (a background grandchild holding them). */
const PIPE_DRAIN_MS = 2_000;

/**
 * Runs the catalog's command directly (argv, no shell) with the runner's environment, so the program
 * sees FERRY_RESULT_URL / FERRY_RESULT_TOKEN and uploads its own result; its lines pass through
 * unchanged, markers included. The exit code is the program's; death by a signal is 143.
 */
export async function runContainerPipeline({ spec, output, lifecycle }: PipelineContext): Promise<number> {
  const [command, ...args] = spec.argv ?? [];
  if (command === undefined) throw permanent(RunnerReason.InvalidSpec, 'a container job needs argv');
  output.log(`container: starting ${JSON.stringify(command)} with ${args.length} argument(s)`);

  // Its own process group, so stopping reaches whatever the command started too.
  const child = spawn(command, args, { env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const started = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', resolve);
  });
  if (started) throw permanent(RunnerReason.CommandNotStarted, `cannot start ${JSON.stringify(command)}: ${errorMessage(started)}`, started);

  // After a successful spawn an 'error' only means a signal could not be sent; without a listener it would crash us.
  child.on('error', (error) => output.warn(`container: ${error.message}`));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  const unregister = lifecycle.onStop(() => stopChild(child, exited));
  const lines = Promise.all([
    forwardLines(child.stdout, (line) => output.log(line)),
    forwardLines(child.stderr, (line) => output.warn(line)),
  ]);
  const [code, signal] = await exited;
  unregister();
  signalGroup(child, 'SIGTERM');
  const drained = await Promise.race([lines.then(() => true), delay(PIPE_DRAIN_MS, false)]);
  if (!drained) {
    signalGroup(child, 'SIGKILL');
    child.stdout.destroy();
    child.stderr.destroy();
  }
  if (signal !== null) {
    output.warn(`container: the command was killed by ${signal}`);
    return ExitCode.Terminated;
  }
  output.log(`container: the command exited with code ${code ?? 0}`);
  return code ?? 0;
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  signalGroup(child, 'SIGTERM');
  const done = await Promise.race([exited.then(() => true), delay(CHILD_STOP_GRACE_MS, false)]);
  if (!done) signalGroup(child, 'SIGKILL');
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
