// A stand-in for the kubelet's log endpoint on kwok nodes, so `GET pods/{pod}/log` through the real
// kube-apiserver answers with what the pod agent's process printed. kwok nodes report 127.0.0.1 and
// kubelet port 10250; the API server (started without --kubelet-certificate-authority) dials
// `https://127.0.0.1:10250/containerLogs/{ns}/{pod}/{container}?…` without checking the serving
// certificate, so a self-signed one (openssl) does. `follow=true` holds the stream open until the
// agent's process for that pod has ended; each line gets an RFC 3339 timestamp when `timestamps=true`.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PodAgent } from './pod-agent.ts';

export const KUBELET_PORT = 10250;

export interface KubeletLogs {
  /** Requests served, as `namespace/pod/container`. */
  readonly served: readonly string[];
  stop(): Promise<void>;
}

/** A container's whole output once it has ended; `undefined` while it still runs. */
export type ContainerOutput = (namespace: string, pod: string) => string | undefined;

/** What the pod agent's processes printed, once each has exited. */
export const agentOutput =
  (agent: PodAgent): ContainerOutput =>
  (namespace, pod) =>
    agent.runs().find((run) => run.namespace === namespace && run.pod === pod)?.output;

/**
 * Serves each container's output; a follow request stays open until the container has ended, as
 * the kubelet's does (`agentOutput` for the pod agent, `watchKwokPodOutput` for pods kwok completes).
 */
export async function startKubeletLogs(outputOf: ContainerOutput, port = KUBELET_PORT): Promise<KubeletLogs> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-kubelet-logs-'));
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ]);
  const served: string[] = [];
  const server: Server = createServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (request, response) => {
    const url = new URL(request.url ?? '/', 'https://127.0.0.1');
    const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (request.method !== 'GET' || match === null) {
      response.writeHead(404).end();
      return;
    }
    const [, namespace = '', pod = '', container = ''] = match;
    served.push(`${namespace}/${pod}/${container}`);
    const follow = url.searchParams.get('follow') === 'true';
    const timestamps = url.searchParams.get('timestamps') === 'true';
    response.writeHead(200, { 'content-type': 'text/plain' });
    const write = (output: string): void => {
      const stamp = new Date().toISOString().replace('Z', '000000Z');
      for (const line of output.split('\n').filter((each) => each !== '')) response.write(timestamps ? `${stamp} ${line}\n` : `${line}\n`);
      response.end();
    };
    const done = outputOf(namespace, pod);
    if (done !== undefined || !follow) {
      write(done ?? '');
      return;
    }
    const timer = setInterval(() => {
      const output = outputOf(namespace, pod);
      if (output === undefined) return;
      clearInterval(timer);
      write(output);
    }, 100);
    request.once('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    served,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
