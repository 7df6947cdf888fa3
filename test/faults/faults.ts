import { jetstreamManager, type ConsumerInfo } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { DEFAULT_TOPOLOGY, kvStreamName } from '@ferry/nats';
import type { FaultCluster } from './cluster.ts';
import { findControllerPid, findRunners } from './processes.ts';

/** What one injection hit, so a run can show the fault met work in flight (counts, summed over rounds). */
export type Hits = Record<string, number>;

export interface Injection {
  /** The moment of the fault itself, to set against job histories. */
  readonly at: string;
  readonly hits: Hits;
}

export interface Fault {
  readonly name: string;
  /** Injects the fault once and undoes it (restart, resume), as an operator or a supervisor would. */
  inject(cluster: FaultCluster, round: number): Promise<Injection>;
}

/** Longer than the test controller's lease (3 s): it cannot renew, so it must stop leading. */
const NATS_OUTAGE_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const now = (): string => new Date().toISOString();

/** kill -9 of the controller, and a new one at once; it leads once the dead one's lease runs out. */
export const killController: Fault = {
  name: 'controller-kill-9',
  async inject(cluster) {
    // Strike while runners are alive (they live for a fraction of a second), so attempts are in flight.
    const runners = await runnersAlive(cluster, 10_000);
    const at = now();
    await cluster.controller.kill('SIGKILL');
    cluster.controller = cluster.startController();
    return { at, hits: { runnersAtKill: runners } };
  },
};

/** kill -9 of one gateway (each in turn) while the client sends to both; a new one joins a second later. */
export const killGateway: Fault = {
  name: 'gateway-kill-9',
  async inject(cluster, round) {
    const index = round % cluster.gateways.length;
    const at = now();
    // Never resolves on its own after a SIGKILL (see FaultCluster.stop); the kill itself is synchronous.
    void cluster.gateways[index]?.stop('SIGKILL');
    await sleep(1000);
    await cluster.replaceGateway(index);
    return { at, hits: { gatewaysKilled: 1 } };
  },
};

/** kill -9 of one running runner: its attempt ends by a signal, which the controller must retry. */
export const killRunner: Fault = {
  name: 'runner-kill-9',
  async inject(cluster) {
    // Runners live for a fraction of a second: look until one is there to kill.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const runner = runnersOf(cluster)[0];
      const at = now();
      if (runner !== undefined && signal(runner.pid, 'SIGKILL')) return { at, hits: { runnersKilled: 1 } };
      await sleep(20);
    }
    return { at: now(), hits: { runnersKilled: 0 } };
  },
};

/**
 * nats-server stopped (SIGKILL and SIGTERM in turn; the store fsyncs every write) for longer than
 * the controller's lease, so it steps down (stopping its runners) and leads again once NATS is back.
 */
export const restartNats: Fault = {
  name: 'nats-restart',
  async inject(cluster, round) {
    const runners = runnersOf(cluster).length;
    const stepDowns = countStepDowns(cluster);
    const at = now();
    await cluster.nats.stop(round % 2 === 0 ? 'SIGKILL' : 'SIGTERM');
    await sleep(NATS_OUTAGE_MS);
    await cluster.nats.resume();
    // The step-down is logged once the lease has run out, which may be after NATS is back.
    await sleep(2000);
    return { at, hits: { runnersAtStop: runners, controllerStepDowns: countStepDowns(cluster) - stepDowns } };
  },
};

/**
 * SIGSTOP of the controller for longer than its intake consumer's ack wait (read from the server,
 * not assumed), so JetStream gives up on the messages it holds and delivers them again; then SIGCONT.
 */
export const pauseController: Fault = {
  name: 'controller-sigstop',
  async inject(cluster) {
    const ackWaitMs = Number((await consumerInfo(cluster.nats.url)).config.ack_wait) / 1e6;
    const runners = runnersOf(cluster).length;
    // kill() resolves only when the process exits, which neither signal makes it do.
    const at = now();
    void cluster.controller.kill('SIGSTOP');
    await sleep(ackWaitMs + 2000);
    const paused = await consumerInfo(cluster.nats.url);
    void cluster.controller.kill('SIGCONT');
    return { at, hits: { runnersAtPause: runners, ackPendingAtResume: paused.num_ack_pending, redeliveredAtResume: paused.num_redelivered } };
  },
};

/** How often the controller has logged that it stopped leading (it logs at warn, which tests keep). */
function countStepDowns(cluster: FaultCluster): number {
  return cluster.controller.output.split('lost the controller lease').length - 1;
}

/** How many runners are alive, polling until there is at least one or `timeoutMs` passed. */
async function runnersAlive(cluster: FaultCluster, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let count = runnersOf(cluster).length;
  while (count === 0 && Date.now() < deadline) {
    await sleep(20);
    count = runnersOf(cluster).length;
  }
  return count;
}

function runnersOf(cluster: FaultCluster): ReturnType<typeof findRunners> {
  const pid = findControllerPid(cluster.nats.url);
  return pid === undefined ? [] : findRunners(pid);
}

/** Sends a signal; false when the process was already gone. */
function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

async function consumerInfo(natsUrl: string): Promise<ConsumerInfo> {
  const connection = await connect({ servers: natsUrl });
  try {
    return await (await jetstreamManager(connection)).consumers.info(kvStreamName(DEFAULT_TOPOLOGY.jobsBucket), DEFAULT_TOPOLOGY.controllerConsumer);
  } finally {
    await connection.close();
  }
}
