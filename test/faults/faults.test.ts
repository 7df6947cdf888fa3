import { checkSubmissions, type SubmissionReport } from '../support/checker.ts';
import { TEST_KEYS } from '../support/gateway.ts';
import { FaultCluster } from './cluster.ts';
import { readLedger } from './completion-ledger.ts';
import { killController, killGateway, killRunner, pauseController, restartNats, type Fault, type Hits } from './faults.ts';
import { SteadyLoad } from './load.ts';
import { RoundRobinClient } from './round-robin.ts';

/** Each fault is injected this many times into one run of load. */
const ROUNDS = 3;
/** Load between two injections: long enough for a replaced part to lead again and run jobs. */
const GAP_MS = 5000;
/** Load after the last injection, before the submissions stop and the checker runs. */
const SETTLE_MS = 3000;
/** A few jobs a second: every state is populated when a fault hits, and two cores keep up (they run about three sleep jobs a second, each runner a Node process). */
const RATE_PER_SECOND = 2;
const CHECK_TIMEOUT_MS = 120_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the load, injects `fault` ROUNDS times, checks every submission; returns the report and the hits. */
async function runUnderFault(fault: Fault): Promise<{ report: SubmissionReport; hits: Hits }> {
  const cluster = await FaultCluster.start({ FERRY_MAX_CONCURRENT: '8' });
  try {
    const client = new RoundRobinClient({
      gateways: () => cluster.gateways.map((gateway) => gateway.url),
      apiKey: TEST_KEYS.acme,
      maxTries: 4,
      requestTimeoutMs: 10_000,
    });
    const load = new SteadyLoad({ client, ratePerSecond: RATE_PER_SECOND, run: fault.name });
    load.start();
    const hits: Hits = {};
    const injectedAt: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      await sleep(GAP_MS);
      const injection = await fault.inject(cluster, round);
      injectedAt.push(injection.at);
      for (const [name, count] of Object.entries(injection.hits)) hits[name] = (hits[name] ?? 0) + count;
    }
    await sleep(SETTLE_MS);
    const answers = await load.stop();
    hits['retriedSubmissions'] = answers.filter((answer) => answer.tries > 1).length;
    const report = await checkSubmissions(cluster.api(), cluster.nats.url, answers, () => readLedger(cluster.ledger), CHECK_TIMEOUT_MS);
    const { evidence, ...counts } = report;
    // One line per fault kind for the CI log; the evidence of any anomaly on a line of its own.
    console.log(`fault report ${JSON.stringify({ fault: fault.name, rounds: ROUNDS, ...counts, hits })}`);
    if (evidence.length > 0) console.log(`fault evidence ${JSON.stringify({ fault: fault.name, injectedAt, evidence })}`);
    if (report.lost > 0) console.log(`fault controller log (${fault.name}, tail):\n${cluster.controller.output.slice(-6000)}`);
    return { report, hits };
  } finally {
    await cluster.stop();
  }
}

/** What every fault must leave behind: each acknowledged job run to completion once, final once, moving only forward. */
function expectSafe(report: SubmissionReport): void {
  // A run with almost nothing acknowledged would pass everything below without testing it.
  expect(report.acknowledged).toBeGreaterThan(20);
  expect(report).toMatchObject({ lost: 0, duplicated: 0, regressed: 0, ranTwice: 0, unwitnessed: 0, final: report.acknowledged });
  // docs/architecture.md §8: no 5xx but a 503 while NATS is away; the load itself is valid, so no 4xx either.
  expect(Object.keys(report.refusedStatuses).filter((status) => status !== '503')).toEqual([]);
}

describe('faults under a steady load of submissions', () => {
  it('kill -9 of the controller', async () => {
    const { report, hits } = await runUnderFault(killController);
    expectSafe(report);
    expect(hits['runnersAtKill']).toBeGreaterThan(0);
  });

  it('kill -9 of a gateway, the client failing over to the other', async () => {
    const { report, hits } = await runUnderFault(killGateway);
    expectSafe(report);
    expect(report.refused).toBe(0);
    // Submissions sent to the dead gateway were sent again to the other one.
    expect(hits['retriedSubmissions']).toBeGreaterThan(0);
  });

  it('kill -9 of a running runner', async () => {
    const { report, hits } = await runUnderFault(killRunner);
    expectSafe(report);
    expect(hits['runnersKilled']).toBe(ROUNDS);
  });

  it('nats-server stopped and restarted', async () => {
    const { report, hits } = await runUnderFault(restartNats);
    expectSafe(report);
    // Submissions during the outage were refused with 503, not left hanging or lost.
    expect(report.refusedStatuses['503']).toBeGreaterThan(0);
    expect(hits['controllerStepDowns']).toBeGreaterThan(0);
  });

  it('SIGSTOP of the controller past its ack wait', async () => {
    const { report, hits } = await runUnderFault(pauseController);
    expectSafe(report);
    // Its memory of every runner survives the pause: nothing it had seen finish is run again.
    expect(hits['ackPendingAtResume']).toBeGreaterThan(0);
  });
});
