// Runs an image's root file system with Debian's runc as a Kubernetes pod with the chart's
// securityContext would: the image's user, no capabilities, no privilege escalation, a read-only
// root and a tmpfs at /tmp (the chart's emptyDir). Host network, so a test reaches it on 127.0.0.1.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The part of an OCI runtime spec (config.json) these tests change. */
export interface RuntimeSpec {
  readonly process: {
    readonly terminal?: boolean;
    readonly user: { readonly uid: number; readonly gid: number; readonly additionalGids?: readonly number[] };
    readonly args: readonly string[];
    readonly env: readonly string[];
    readonly cwd: string;
    readonly capabilities?: Readonly<Record<string, readonly string[]>>;
    readonly noNewPrivileges?: boolean;
  };
  readonly root: { readonly path: string; readonly readonly?: boolean };
  readonly mounts: readonly { readonly destination: string; readonly type?: string; readonly source?: string; readonly options?: readonly string[] }[];
  readonly linux: { readonly namespaces: readonly { readonly type: string; readonly path?: string }[] } & Record<string, unknown>;
}

/**
 * `umoci unpack`: the image's layers applied into `<bundle>/rootfs` and a runtime spec made from its
 * config (user, env, working directory, entrypoint + cmd), as a container engine would.
 */
export async function unpackImage(layoutDir: string, reference: string, bundleDir: string): Promise<{ rootfs: string; spec: RuntimeSpec }> {
  await run('umoci', ['unpack', '--image', `${layoutDir}:${reference}`, bundleDir], { maxBuffer: 64 * 1024 * 1024 });
  const spec = JSON.parse(await readFile(join(bundleDir, 'config.json'), 'utf8')) as RuntimeSpec;
  return { rootfs: join(bundleDir, 'rootfs'), spec };
}

export interface ContainerOptions {
  readonly rootfs: string;
  /** Replaces the image's entrypoint + cmd. */
  readonly args?: readonly string[];
  /** Added to the image's environment. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The image's spec with the pod's restrictions (pure; the image's user and cwd are kept as given). */
export function restrictedSpec(image: RuntimeSpec, options: ContainerOptions): RuntimeSpec {
  const noCapabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  return {
    ...image,
    process: {
      ...image.process,
      terminal: false,
      args: options.args ?? image.process.args,
      env: [...image.process.env, ...Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value}`)],
      capabilities: noCapabilities,
      noNewPrivileges: true,
    },
    // One unpacked tree serves every container: it is never written to.
    root: { path: options.rootfs, readonly: true },
    mounts: [
      ...image.mounts.filter((mount) => mount.destination !== '/tmp'),
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=262144k'] },
    ],
    linux: { ...image.linux, namespaces: image.linux.namespaces.filter((namespace) => namespace.type !== 'network') },
  };
}

export interface ContainerExit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One `runc run` in the foreground: its stdout and stderr are the container's. */
export class RuncContainer {
  readonly id: string;
  #stdout = '';
  #stderr = '';
  readonly #stateDir: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<ContainerExit>;

  private constructor(id: string, stateDir: string, child: ChildProcess) {
    this.id = id;
    this.#stateDir = stateDir;
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.#stderr += chunk.toString()));
    this.#exited = new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout: this.#stdout, stderr: this.#stderr })));
  }

  /** Writes `<bundleDir>/config.json` and starts `runc run`; `stateDir` is runc's --root. */
  static async start(id: string, stateDir: string, bundleDir: string, spec: RuntimeSpec): Promise<RuncContainer> {
    await mkdir(bundleDir, { recursive: true });
    await writeFile(join(bundleDir, 'config.json'), JSON.stringify(spec));
    const child = spawn('runc', ['--root', stateDir, 'run', '--bundle', bundleDir, id], { stdio: ['ignore', 'pipe', 'pipe'] });
    return new RuncContainer(id, stateDir, child);
  }

  get output(): string {
    return this.#stdout + this.#stderr;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  exited(): Promise<ContainerExit> {
    return this.#exited;
  }

  /** SIGKILL to the container, then runc's record of it removed; safe to call after it ended. */
  async remove(): Promise<void> {
    await run('runc', ['--root', this.#stateDir, 'kill', this.id, 'KILL']).catch(() => undefined);
    await Promise.race([this.#exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await run('runc', ['--root', this.#stateDir, 'delete', '--force', this.id]).catch(() => undefined);
  }
}
