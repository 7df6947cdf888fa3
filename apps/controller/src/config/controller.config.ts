import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, parseEnv } from '@ferry/contracts';

/** A Kubernetes quantity of bytes, whole: `4Gi`, `500M`, `1073741824`. */
const QUANTITY = '^[0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?$';

const repo = (path: string): string => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));

/** Every variable the controller reads, with its default; validated once at start-up. */
const ControllerEnvSchema = Type.Object({
  /** Where jobs run: a child process per attempt here, or a `batch/v1` Job per job. */
  FERRY_EXECUTOR: Type.Union([Type.Literal('local'), Type.Literal('kubernetes')], { default: 'local' }),
  /** Kubernetes: the namespace of job pods (the controller's Role is namespaced); default the controller's own. */
  FERRY_JOBS_NAMESPACE: Type.Optional(Type.String({ pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' })),
  POD_NAMESPACE: Type.Optional(Type.String()),
  /** Kubernetes: Ferry's image, whose runner runs the built-in pipelines. */
  FERRY_RUNNER_IMAGE: Type.Optional(Type.String({ minLength: 1 })),
  /** Kubernetes: how the runner starts inside that image, as a JSON array. */
  FERRY_RUNNER_CONTAINER_COMMAND: Type.String({ default: '["node","/app/apps/runner/dist/main.js"]' }),
  /** Kubernetes: the image's non-root user, which built-in job pods run as. */
  FERRY_RUNNER_UID: Type.Integer({ minimum: 1, default: 10001 }),
  FERRY_RUNNER_SERVICE_ACCOUNT: Type.String({ minLength: 1, default: 'ferry-runner' }),
  /** Kubernetes: `ttlSecondsAfterFinished` set once Ferry recorded a job's final state. */
  FERRY_JOB_TTL_SECONDS: Type.Integer({ minimum: 0, default: 86_400 }),
  /** Kubernetes: how long a finished Job waits for its pods' last log lines before its end is recorded. */
  FERRY_LOG_DRAIN_SECONDS: Type.Number({ minimum: 0, default: 30 }),
  /** Kubernetes: extra labels on job pods, as a JSON object (e.g. for a network policy or a test agent). */
  FERRY_JOB_POD_LABELS: Type.Optional(Type.String()),
  /**
   * Kubernetes: the ephemeral-storage request and limit of a job pod whose pipeline sets none; its
   * /tmp is bounded by the limit too, and its runner's spill and sources by shares of it.
   */
  FERRY_JOB_EPHEMERAL_STORAGE_REQUEST: Type.String({ pattern: QUANTITY, default: '1Gi' }),
  FERRY_JOB_EPHEMERAL_STORAGE_LIMIT: Type.String({ pattern: QUANTITY, default: '4Gi' }),
  /** Kubernetes: create Jobs suspended with this Kueue queue's label; Kueue admits them. */
  FERRY_KUEUE_QUEUE_NAME: Type.Optional(Type.String({ minLength: 1 })),
  /**
   * Local executor: `trusted` runs the catalog's `container` pipelines as processes of the
   * controller's own user, which grants their programs everything that user can do (see
   * `localContainerPolicy`); `refuse` (the default) stops the controller when the catalog has one.
   */
  FERRY_LOCAL_CONTAINER_PIPELINES: Type.Union([Type.Literal('refuse'), Type.Literal('trusted')], { default: 'refuse' }),
  /** Signs each attempt's result-upload token; the gateway holds the same secret. */
  FERRY_RESULT_SECRET: Type.String({ minLength: 32 }),
  /** How runners reach the gateway's upload route. */
  FERRY_GATEWAY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8080' }),
  FERRY_PIPELINES: Type.String({ minLength: 1, default: repo('pipelines/catalog.yaml') }),
  /** Local mode: `file://` sources must lie below this folder. */
  FERRY_DATA_DIR: Type.String({ minLength: 1, default: repo('data') }),
  /**
   * Local mode: where runners leave their exit records, read by a controller that missed an exit
   * (decision 0008). Every controller of the machine must use the same folder.
   */
  FERRY_EXIT_RECORD_DIR: Type.String({ minLength: 1, default: repo('.ferry/exits') }),
  /** Attempts running at once, in all and per tenant (local executor). */
  FERRY_MAX_CONCURRENT: Type.Integer({ minimum: 1, default: Math.max(2, cpus().length * 2) }),
  FERRY_MAX_CONCURRENT_PER_TENANT: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Retry schedule: base, doubling, capped (docs/architecture.md §3: 10 s … 6 min). */
  FERRY_RETRY_BASE_SECONDS: Type.Number({ minimum: 0, default: 10 }),
  FERRY_RETRY_MAX_SECONDS: Type.Number({ minimum: 0, default: 360 }),
  /** Between SIGTERM and SIGKILL when an attempt is cancelled or past its deadline. */
  FERRY_STOP_GRACE_SECONDS: Type.Number({ minimum: 0, default: 10 }),
  /** Every non-final job is reconciled at least this often, whatever the stream delivered. */
  FERRY_RESYNC_SECONDS: Type.Number({ exclusiveMinimum: 0, default: 30 }),
  /** A full pass over every record (also purges finished ones past retention). */
  FERRY_FULL_RESYNC_SECONDS: Type.Number({ exclusiveMinimum: 0, default: 600 }),
  FERRY_RECONCILE_CONCURRENCY: Type.Integer({ minimum: 1, default: 16 }),
  /** A record change not acknowledged this long after delivery (a stalled controller) is delivered again. */
  FERRY_ACK_WAIT_SECONDS: Type.Number({ minimum: 1, default: 30 }),
  /** Leader lease term; a standby controller takes over at most this long after the leader dies. */
  FERRY_LEASE_SECONDS: Type.Number({ minimum: 1, default: 10 }),
  /**
   * Whether sources may be on loopback: off by default, since on the controller's machine loopback
   * holds NATS' monitoring page and the gateway's metrics. Tests that serve fixtures there turn it on.
   */
  FERRY_SOURCE_ALLOW_LOOPBACK: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'false' }),
  FERRY_SOURCE_ALLOW_CIDRS: Type.String({ default: '' }),
  FERRY_PROGRESS_INTERVAL_MS: Type.Integer({ minimum: 0, default: 500 }),
  /** The runner's command line as a JSON array; default: this Node and the built runner. */
  FERRY_RUNNER_COMMAND: Type.Optional(Type.String()),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), {
    default: 'info',
  }),
});
export type ControllerEnv = Static<typeof ControllerEnvSchema>;

export function loadControllerConfig(env: NodeJS.ProcessEnv = process.env): ControllerEnv {
  return parseEnv(ControllerEnvSchema, env);
}

export function runnerCommand(config: ControllerEnv): string[] {
  if (config.FERRY_RUNNER_COMMAND === undefined) return [process.execPath, repo('apps/runner/dist/main.js')];
  return commandLine('FERRY_RUNNER_COMMAND', config.FERRY_RUNNER_COMMAND);
}

/** A label map given as a JSON object of strings. */
export function labelMap(name: string, text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !Object.values(parsed).every((value) => typeof value === 'string')) {
    throw new ConfigError(`${name} must be a JSON object of string values`);
  }
  return parsed as Record<string, string>;
}

/** A command line given as a JSON array of strings. */
export function commandLine(name: string, text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((item) => typeof item === 'string')) {
    throw new ConfigError(`${name} must be a JSON array of strings`);
  }
  return parsed;
}
