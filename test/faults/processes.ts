import { processTable } from '../../scripts/lib/process-table.ts';
import { CONTROLLER_MAIN, RUNNER_MAIN } from '../support/paths.ts';

export interface RunnerProcess {
  readonly pid: number;
  readonly jobId: string;
  readonly attempt: number;
}

/**
 * The controller process of this test's cluster: the one running the built controller with this
 * test's NATS URL (other people's suites run controllers on the same machine, on other ports).
 */
export function findControllerPid(natsUrl: string): number | undefined {
  return processTable().find((entry) => entry.argv.includes(CONTROLLER_MAIN) && entry.environ().get('NATS_URL') === natsUrl)?.pid;
}

/** The runners the given controller has running now, with the job attempt each one runs (from its spec). */
export function findRunners(controllerPid: number): RunnerProcess[] {
  const runners: RunnerProcess[] = [];
  for (const entry of processTable()) {
    if (entry.ppid !== controllerPid || !entry.argv.includes(RUNNER_MAIN)) continue;
    const spec = entry.environ().get('FERRY_JOB');
    if (spec === undefined) continue;
    const { id, attempt } = JSON.parse(spec) as { id: string; attempt: number };
    runners.push({ pid: entry.pid, jobId: id, attempt });
  }
  return runners;
}
