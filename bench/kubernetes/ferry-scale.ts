// Issue 5's scale run: N `sleep 0` jobs submitted through the gateway, each one real `batch/v1` Job
// on the local control plane, its pod scheduled onto kwok nodes and completed by kwok's stages (no
// process runs). Reports jobs/s from the first submit to the last `succeeded`, the controller's own
// API requests per job by verb and resource (from the audit log, filtered by its ServiceAccount), and
// its CPU time and peak memory. kube-controller-manager runs with client QPS 1000 / burst 2000 and
// 50 concurrent Job syncs (scripts/k8s-cluster/control-plane.ts), so the Job controller is not the bottleneck.
//
//   npm run bench:k8s [-- --jobs 2000 --concurrency 32 --nodes 4]
import { parseArgs } from 'node:util';
import { inClosedLoops } from '../lib/closed-loops.ts';
import { cpuSeconds, readMemory } from '../lib/proc.ts';
import { quantile } from '../lib/stats.ts';
import { connect } from '@nats-io/transport-node';
import { startCluster, type RunningCluster } from '../../scripts/k8s-cluster/control-plane.ts';
import { ensureK8sTools } from '../../scripts/k8s-tools.ts';
import { checkJobs } from '../../test/support/checker.ts';
import { FerrySystem } from '../../test/support/system.ts';
import { countByRequest, isWrite, requestsOf } from '../../test/kube-control-plane/support/audit-log.ts';
import { installFerryRelease, JOBS_NAMESPACE, RELEASE_NAMESPACE } from '../../test/kube-control-plane/support/ferry-release.ts';
import { startKubeletLogs } from '../../test/kube-control-plane/support/kubelet-logs.ts';
import { watchKwokPodOutput } from '../../test/kube-control-plane/support/kwok-pod-output.ts';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '32' },
    nodes: { type: 'string', default: '4' },
  },
});
const total = Number(values.jobs);
const concurrency = Number(values.concurrency);
const say = (line: string): void => void process.stdout.write(`[bench:k8s] ${line}\n`);
const FINAL_STATES = new Set(['succeeded', 'failed', 'cancelled']);

/** Submits `total` sleep-0 jobs, `concurrency` at a time; returns each id with its submit time. */
async function submitAll(system: FerrySystem): Promise<Map<string, number>> {
  const api = system.api();
  const submitted = new Map<string, number>();
  await inClosedLoops(total, concurrency, async () => {
    const at = performance.now();
    const response = await api.post('/v1/jobs', { pipeline: 'sleep', params: { seconds: 0 } });
    if (response.status !== 202) throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
    submitted.set((response.body as { id: string }).id, at);
  });
  return submitted;
}

async function run(cluster: RunningCluster): Promise<void> {
  const tools = await ensureK8sTools(say);
  const release = await installFerryRelease(cluster, tools.helm);
  // kwok's containers print nothing: the kubelet stand-in answers their log reads with an empty log,
  // held open while the pod runs, as a kubelet's follow request is.
  const kwokOutput = await watchKwokPodOutput(cluster.adminKubeconfig, JOBS_NAMESPACE);
  const kubelet = await startKubeletLogs(kwokOutput.output);
  const system = await FerrySystem.start({
    controllerEnv: {
      FERRY_EXECUTOR: 'kubernetes',
      KUBECONFIG: release.controllerKubeconfig,
      FERRY_JOBS_NAMESPACE: JOBS_NAMESPACE,
      FERRY_RUNNER_IMAGE: 'registry.example.com/ferry:bench',
      // No admission cap (every job may be a Job at once) and the production resync period.
      FERRY_MAX_CONCURRENT: String(total),
      FERRY_RESYNC_SECONDS: '30',
      FERRY_PROGRESS_INTERVAL_MS: '500',
    },
  });
  try {
    const connection = await connect({ servers: system.nats.url });
    const finished = new Map<string, { state: string; at: number }>();
    /** When each job was first seen in each state, for the breakdown of where the time goes. */
    const reached = new Map<string, Map<string, number>>();
    const subscription = connection.subscribe('ferry.events.>', {
      callback: (_error, message) => {
        const event = message.json<{ type: string; job: { id: string; state: string } }>();
        if (event.type !== 'state') return;
        const states = reached.get(event.job.id) ?? new Map<string, number>();
        if (!states.has(event.job.state)) states.set(event.job.state, performance.now());
        reached.set(event.job.id, states);
        if (FINAL_STATES.has(event.job.state) && !finished.has(event.job.id)) finished.set(event.job.id, { state: event.job.state, at: performance.now() });
      },
    });
    const controllerPid = system.controller.pid ?? NaN;
    const cpuBefore = await cpuSeconds(controllerPid);
    const started = performance.now();
    const submitted = await submitAll(system);
    const intakeSeconds = (performance.now() - started) / 1000;
    say(`submitted ${total} jobs in ${intakeSeconds.toFixed(1)} s (${(total / intakeSeconds).toFixed(0)}/s, ${concurrency} at a time)`);
    const deadline = Date.now() + 20 * 60_000;
    while ([...submitted.keys()].some((id) => !finished.has(id)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const cpuUsed = (await cpuSeconds(controllerPid)) - cpuBefore;
    const peakMiB = ((await readMemory(controllerPid))?.hwmKiB ?? NaN) / 1024;
    subscription.unsubscribe();
    await connection.drain();

    const ends = [...finished.values()].map((entry) => entry.at).sort((a, b) => a - b);
    const seconds = ((ends.at(-1) ?? NaN) - started) / 1000;
    // Sustained: the rate between the 10th and the 90th percentile of completions (ramp-up and tail cut).
    const sustained = (0.8 * ends.length) / ((quantile(ends, 0.9) - quantile(ends, 0.1)) / 1000);
    const latencies = [...submitted].flatMap(([id, at]) => (finished.has(id) ? [(finished.get(id)?.at ?? NaN) - at] : []));
    const states: Record<string, number> = {};
    for (const entry of finished.values()) states[entry.state] = (states[entry.state] ?? 0) + 1;
    const report = await checkJobs(system.api(), system.nats.url, [...submitted.keys()], 60_000);

    const requests = await requestsOf(cluster.auditLog, `system:serviceaccount:${RELEASE_NAMESPACE}:ferry-controller`);
    const writes = requests.filter(isWrite);
    const perJob = (count: number): string => (count / total).toFixed(2);
    const clusterCpu: string[] = [];
    for (const [name, pid] of Object.entries(cluster.pids)) clusterCpu.push(`${name} ${(await cpuSeconds(pid)).toFixed(1)} s`);

    say(`${finished.size}/${total} final (${JSON.stringify(states)}) ${seconds.toFixed(1)} s after the first submit: ${(total / seconds).toFixed(1)} jobs/s end to end, ${sustained.toFixed(1)} jobs/s sustained (10th–90th percentile of completions)`);
    say(`submit → final: median ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${quantile(latencies, 0.99).toFixed(0)} ms`);
    const phase = (from: string, to: string): string => {
      const spans = [...submitted].flatMap(([id, at]) => {
        const states = reached.get(id);
        const start = from === 'submit' ? at : states?.get(from);
        const end = states?.get(to);
        return start === undefined || end === undefined ? [] : [end - start];
      });
      return `${from} → ${to} median ${quantile(spans, 0.5).toFixed(0)} ms (p99 ${quantile(spans, 0.99).toFixed(0)})`;
    };
    say(`where the time goes: ${phase('submit', 'starting')}; ${phase('starting', 'running')}; ${phase('running', 'succeeded')}`);
    say(`checker: ${JSON.stringify(report)}`);
    say(`controller API requests: ${requests.length} (${perJob(requests.length)}/job), writes ${writes.length} (${perJob(writes.length)}/job) — goal ≤ 3 writes/job`);
    for (const [request, count] of Object.entries(countByRequest(requests)).sort()) say(`  ${request.padEnd(28)} ${String(count).padStart(6)}  ${perJob(count)}/job`);
    say(`controller: CPU ${cpuUsed.toFixed(1)} s during the run (${((cpuUsed * 1000) / total).toFixed(1)} ms/job), peak RSS ${peakMiB.toFixed(0)} MiB`);
    say(`control plane CPU since start: ${clusterCpu.join(', ')}; 2 cores × ${seconds.toFixed(0)} s = ${(2 * seconds).toFixed(0)} CPU-s available`);
    say(`kubelet stand-in served ${kubelet.served.length} log reads`);
  } finally {
    await system.stop();
    await kubelet.stop();
    await kwokOutput.stop();
  }
}

const cluster = await startCluster({ nodes: Number(values.nodes), log: say });
say(`cluster up in ${((cluster.timings['total'] ?? 0) / 1000).toFixed(1)} s`);
try {
  await run(cluster);
} finally {
  await cluster.stop();
}
