/**
 * The slice of contracts a runner needs — environment names, spec check, protocol, exit codes,
 * reasons — importing neither the HTTP DTOs (class-validator) nor any schema library: a runner
 * starts once per job, and every millisecond of import is dispatch latency.
 */
export * from './exit-codes.js';
export * from './exit-record.format.js';
export * from './job-reason.js';
export * from './runner-env.js';
export * from './runner-protocol.format.js';
export * from './runner-spec.check.js';
export type { JobErrorReport, JobProgress } from './runner-protocol.types.js';
export type { RunnerSpec } from './runner-spec.js';
export { CURRENT_ATTEMPT } from './upload-attempt.js';
