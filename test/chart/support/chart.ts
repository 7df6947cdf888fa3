import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { helmEnv, kubeconformSchemaLocation, KUBERNETES_VERSION } from '../../../scripts/k8s-tools.ts';
import { CHART_DIR, parseResources, RELEASE_NAME, RELEASE_NAMESPACE, type Manifest } from '../../../scripts/k8s-manifests.ts';

export { CHART_DIR, RELEASE_NAME, RELEASE_NAMESPACE, type Manifest };

const execFileAsync = promisify(execFile);

/** Always offered to `helm template`: the ServiceMonitor renders only where this API exists. */
export const API_VERSIONS = ['--api-versions', 'monitoring.coreos.com/v1'];
export const SCHEMAS_DIR = join(import.meta.dirname, '..', 'schemas');

/** `defaults` plus every charts/ferry/ci/*.yaml, as [name, helm args]. */
export const VALUE_SETS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['defaults', []],
  ...readdirSync(join(CHART_DIR, 'ci'))
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file): [string, string[]] => [`ci/${file}`, ['-f', join(CHART_DIR, 'ci', file)]]),
];

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool and returns its outcome instead of throwing on a non-zero exit. */
export async function runTool(
  binary: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Outcome> {
  const child = execFileAsync(binary, args, { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 });
  if (options.input !== undefined) child.child.stdin?.end(options.input);
  try {
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failure.code === 'number' ? failure.code : 1,
      stdout: failure.stdout ?? '',
      stderr: failure.stderr ?? String(error),
    };
  }
}

export function helm(helmBinary: string, args: readonly string[]): Promise<Outcome> {
  return runTool(helmBinary, args, { env: helmEnv() });
}

export function helmTemplateArgs(args: readonly string[], chartDir: string = CHART_DIR): string[] {
  return [
    'template',
    RELEASE_NAME,
    chartDir,
    '--namespace',
    RELEASE_NAMESPACE,
    '--kube-version',
    KUBERNETES_VERSION,
    ...API_VERSIONS,
    ...args,
  ];
}

/** Renders the chart and parses it; a failed render throws with helm's message. */
export async function renderChart(helmBinary: string, args: readonly string[] = []): Promise<Manifest[]> {
  const outcome = await helm(helmBinary, helmTemplateArgs(args));
  if (outcome.code !== 0) throw new Error(`helm template ${args.join(' ')} failed:\n${outcome.stderr}`);
  return parseResources(outcome.stdout).map(({ manifest }) => manifest);
}

/** kubeconform -strict over a YAML stream: Kubernetes' schemas, then ours (test/chart/schemas) for CRDs. */
export function kubeconform(binary: string, schemasDir: string, yaml: string): Promise<Outcome> {
  return runTool(
    binary,
    [
      '-strict',
      '-summary',
      '-output',
      'text',
      '-schema-location',
      kubeconformSchemaLocation(schemasDir),
      '-schema-location',
      kubeconformSchemaLocation(SCHEMAS_DIR),
      '-',
    ],
    { input: yaml },
  );
}

export function find(manifests: readonly Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
  if (found === undefined)
    throw new Error(`no ${kind} ${name} in: ${manifests.map((manifest) => `${manifest.kind}/${manifest.metadata.name}`).join(', ')}`);
  return found;
}

export interface PodTemplate {
  readonly owner: string;
  readonly spec: PodSpec;
}

/** The pod specs a render creates: Deployments, StatefulSets and bare Pods (the helm test). */
export function podTemplates(manifests: readonly Manifest[]): PodTemplate[] {
  return manifests.flatMap((manifest) => {
    const owner = `${manifest.kind}/${manifest.metadata.name}`;
    if (manifest.kind === 'Pod') return [{ owner, spec: manifest['spec'] as PodSpec }];
    const template = (manifest['spec'] as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
    return template === undefined ? [] : [{ owner, spec: template }];
  });
}

export interface PodSpec {
  readonly [field: string]: unknown;
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly automountServiceAccountToken?: boolean;
  readonly securityContext?: SecurityContext;
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly ephemeralContainers?: readonly Container[];
  readonly volumes?: ReadonlyArray<{ readonly name: string; readonly [type: string]: unknown }>;
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: ReadonlyArray<{ readonly name: string; readonly value?: string; readonly valueFrom?: unknown }>;
  readonly ports?: ReadonlyArray<{ readonly containerPort: number; readonly hostPort?: number }>;
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: ReadonlyArray<{ readonly name: string; readonly mountPath: string }>;
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly privileged?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly procMount?: string;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly seccompProfile?: { readonly type: string };
  readonly appArmorProfile?: { readonly type: string };
  readonly seLinuxOptions?: { readonly type?: string; readonly user?: string; readonly role?: string };
  readonly windowsOptions?: { readonly hostProcess?: boolean };
  readonly sysctls?: ReadonlyArray<{ readonly name: string }>;
}
