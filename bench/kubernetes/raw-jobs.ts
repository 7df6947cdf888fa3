// Ceiling of the local control plane without Ferry: N `batch/v1` Jobs created directly as admin,
// completed by kwok's stages through the real scheduler and Job controller. Tells the Ferry scale run
// (issue 5, `bench:k8s`) what the harness itself can do on this machine.
//
//   node bench/kubernetes/raw-jobs.ts [N=500] [concurrency=20]
import { BatchV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { inClosedLoops } from '../lib/closed-loops.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { startCluster } from '../../scripts/k8s-cluster/control-plane.ts';

const total = Number(process.argv[2] ?? 500);
const concurrency = Number(process.argv[3] ?? 20);
const namespace = 'default';
const say = (line: string): void => void process.stdout.write(`[raw-jobs] ${line}\n`);

const cluster = await startCluster({ nodes: 4, log: say });
say(`cluster up in ${((cluster.timings['total'] ?? 0) / 1000).toFixed(1)} s`);
try {
  const config = new KubeConfig();
  config.loadFromFile(cluster.adminKubeconfig);
  const batch = config.makeApiClient(BatchV1Api);
  const job = (index: number): V1Job => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: `raw-${index}` },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: 3600,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'runner', image: 'ferry-runner:bench', command: ['true'] }] } },
    },
  });
  const started = Date.now();
  await inClosedLoops(total, concurrency, async (index) => void (await batch.createNamespacedJob({ namespace, body: job(index) })));
  const created = Date.now();
  say(`created ${total} Jobs in ${((created - started) / 1000).toFixed(1)} s (${(total / ((created - started) / 1000)).toFixed(0)}/s)`);
  for (;;) {
    const list = await batch.listNamespacedJob({ namespace });
    const complete = list.items.filter((item) => item.status?.conditions?.some((condition) => condition.type === 'Complete' && condition.status === 'True')).length;
    if (complete >= total) break;
    if (Date.now() - started > 15 * 60_000) throw new Error(`only ${complete}/${total} complete after 15 min`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const seconds = (Date.now() - started) / 1000;
  say(`${total} Jobs Complete ${seconds.toFixed(1)} s after the first create: ${(total / seconds).toFixed(1)} jobs/s end to end`);
  // CPU seconds per component since it started (utime + stime from /proc; 100 ticks per second).
  const cpu: string[] = [];
  for (const [name, pid] of Object.entries(cluster.pids)) {
    cpu.push(`${name} ${(await cpuSeconds(pid)).toFixed(1)} s`);
  }
  const self = process.cpuUsage();
  say(`CPU: ${cpu.join(', ')}, this client ${((self.user + self.system) / 1e6).toFixed(1)} s (2 cores × ${seconds.toFixed(0)} s = ${(2 * seconds).toFixed(0)} s available)`);
} finally {
  await cluster.stop();
}
