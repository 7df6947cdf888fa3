export type { JobProgress } from './job.schema.js';
export type { JobErrorReport } from './runner-protocol.js';
