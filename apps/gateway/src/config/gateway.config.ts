import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { ConfigError, parseEnv } from '@ferry/contracts';

const DEFAULT_CATALOG = fileURLToPath(new URL('../../../../pipelines/catalog.yaml', import.meta.url));

/** Every variable the gateway reads, with its default; validated once at start-up (docs/architecture.md §4). */
const GatewayEnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65_535, default: 8080 }),
  /** 0.0.0.0 so Kubernetes probes reach the pod; `npm start` narrows it to loopback. */
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  /** Comma-separated `tenant:key` pairs. */
  FERRY_API_KEYS: Type.Optional(Type.String()),
  /** A file of `tenant:sha256:<hex of the key>` lines, so the gateway never holds keys in clear. */
  FERRY_API_KEYS_FILE: Type.Optional(Type.String()),
  /** `off` serves every request as tenant `default`. Only for a closed laptop setup. */
  FERRY_AUTH: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  /** `yes` lets a gateway without auth listen on an address other than loopback (see auth-mode.ts). */
  FERRY_AUTH_OFF_ANY_HOST: Type.Union([Type.Literal('yes'), Type.Literal('no')], { default: 'no' }),
  FERRY_PIPELINES: Type.String({ minLength: 1, default: DEFAULT_CATALOG }),
  /** Checks the per-attempt tokens of result uploads; the controller signs them with the same secret. */
  FERRY_RESULT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  FERRY_RESULT_MAX_BYTES: Type.Integer({ minimum: 1, default: 256 * 1024 * 1024 }),
  /** Requests per second per tenant; 0 turns the limit off. */
  FERRY_RATE_LIMIT: Type.Number({ minimum: 0, default: 100 }),
  FERRY_RATE_BURST: Type.Integer({ minimum: 1, default: 200 }),
  FERRY_BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 1024 * 1024 }),
  /** Seconds between SSE keep-alive comments. */
  FERRY_SSE_HEARTBEAT_SECONDS: Type.Number({ exclusiveMinimum: 0, default: 15 }),
  /** Open streams (SSE, logs) per tenant and per replica; past either a stream is refused with a 429. */
  FERRY_STREAMS_PER_TENANT: Type.Integer({ minimum: 1, default: 100 }),
  FERRY_STREAMS_PER_REPLICA: Type.Integer({ minimum: 1, default: 2000 }),
  /** Jobs one tenant may keep (until retention removes them); past it a submission is refused (507). */
  FERRY_TENANT_MAX_JOBS: Type.Integer({ minimum: 1, default: 100_000 }),
  /** Bytes of job records and results one tenant may keep; past it submissions and results are refused (507). */
  FERRY_TENANT_MAX_BYTES: Type.Integer({ minimum: 1, default: 1024 ** 3 }),
  FERRY_SHUTDOWN_GRACE_SECONDS: Type.Number({ minimum: 0, default: 10 }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)), {
    default: 'info',
  }),
});
export type GatewayEnv = Static<typeof GatewayEnvSchema>;

export { ConfigError };

/** Reads the gateway's configuration from the environment; a bad value names the variable. */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayEnv {
  return parseEnv(GatewayEnvSchema, env);
}
