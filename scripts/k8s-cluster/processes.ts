// What the local cluster's scripts share: a small HTTPS client (node:https with a client certificate;
// no client library needed), a readiness poll, and child processes that log to a file and stop
// with SIGTERM, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';

export type Log = (line: string) => void;

export interface Tls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecure?: boolean;
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export function call(url: string, method: string, tls: Tls, body?: unknown, contentType = 'application/json'): Promise<ApiAnswer> {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const target = new URL(url);
  const make = target.protocol === 'https:' ? request : httpRequest;
  return new Promise((resolve, reject) => {
    const req = make(
      target,
      {
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: tls.insecure !== true,
        timeout: 10_000,
        headers: { accept: 'application/json', ...(payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain text (healthz, readyz, pod logs)
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, watched?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (watched !== undefined && watched.exited()) throw new Error(`${what}: ${watched.name} exited (${watched.exitDescription()}); see ${watched.logFile}\n${await tail(watched.logFile)}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms ${lastError}${watched === undefined ? '' : `; see ${watched.logFile}\n${await tail(watched.logFile)}`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function tail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  exited(): boolean;
  exitDescription(): string;
  stop(): Promise<void>;
}

export function startProcess(name: string, binary: string, args: readonly string[], logDir: string, detached: boolean, env?: NodeJS.ProcessEnv): ManagedProcess {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, [...args], { stdio: ['ignore', fd, fd], detached, ...(env === undefined ? {} : { env }) });
  closeSync(fd);
  if (detached) child.unref();
  let exit: string | undefined;
  const done = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal === null ? `code ${code ?? '?'}` : `signal ${signal}`;
      resolve();
    });
    child.once('error', (error) => {
      exit = error.message;
      resolve();
    });
  });
  return {
    name,
    child,
    logFile,
    exited: () => exit !== undefined,
    exitDescription: () => exit ?? 'running',
    async stop() {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await done;
      clearTimeout(killed);
    },
  };
}

/** Alive and still one of ours (its command line names `marker`): a pid reused since must not be signalled. */
export function aliveWith(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`, for a process this script started (found by its id). */
export async function stopPid(pid: number, marker: string, graceMs = 10_000): Promise<boolean> {
  if (!aliveWith(pid, marker)) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (aliveWith(pid, marker) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (aliveWith(pid, marker)) process.kill(pid, 'SIGKILL');
  return true;
}
