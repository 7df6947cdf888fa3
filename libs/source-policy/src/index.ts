/**
 * What addresses a job's sources may use (docs/architecture.md §3). Shared by the runner, which
 * checks every connection, and the gateway, which refuses at submit what it can tell already.
 * Imports only `node:net`, so a runner loads it for free.
 */
export * from './ip-address.js';
export * from './source-policy.js';
