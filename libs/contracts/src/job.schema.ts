import { Type, type Static } from '@sinclair/typebox';
import { JOB_STATES } from './job-state.js';
import { JobReason } from './job-reason.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
export const Timestamp = Type.String({ description: 'RFC 3339 time' });

export const JobStateSchema = Type.Union(JOB_STATES.map((state) => Type.Literal(state)));

export const JobProgressSchema = Type.Object(
  {
    percent: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
    rows: Type.Optional(Type.Integer({ minimum: 0 })),
    message: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  { additionalProperties: false },
);
export type JobProgress = Static<typeof JobProgressSchema>;

export const JobResultSchema = Type.Object(
  {
    contentType: Type.String(),
    bytes: Type.Integer({ minimum: 0 }),
    rows: Type.Optional(Type.Integer({ minimum: 0 })),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
);
export type JobResult = Static<typeof JobResultSchema>;

export const JobExecutorSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('local'), Type.Literal('kubernetes')]),
    name: Type.String(),
    namespace: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type JobExecutor = Static<typeof JobExecutorSchema>;

/** The job resource (docs/architecture.md §4). The KV record is this document, so a record and a response never drift. */
export const JobSchema = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    pipeline: Type.String(),
    params: Type.Record(Type.String(), Type.Unknown()),
    labels: Type.Record(Type.String(), Type.String()),
    state: JobStateSchema,
    reason: Nullable(
      Type.String({
        description: `Why the job is in its state, machine-readable. Ferry sets ${Object.values(JobReason).join(', ')}; a runner may report its own (SqlError, …) and an executor a cause Ferry has no name for.`,
      }),
    ),
    message: Nullable(Type.String()),
    cancelRequested: Type.Boolean(),
    attempt: Type.Integer({ minimum: 0 }),
    maxAttempts: Type.Integer({ minimum: 1 }),
    timeoutSeconds: Type.Integer({ minimum: 1 }),
    startDeadlineSeconds: Type.Integer({ minimum: 1 }),
    queuePosition: Nullable(Type.Integer({ minimum: 0 })),
    createdAt: Timestamp,
    startedAt: Nullable(Timestamp),
    finishedAt: Nullable(Timestamp),
    updatedAt: Timestamp,
    progress: Nullable(JobProgressSchema),
    result: Nullable(JobResultSchema),
    executor: Nullable(JobExecutorSchema),
  },
  { additionalProperties: false, $id: 'Job' },
);
export type Job = Static<typeof JobSchema>;

/**
 * The job without its params: what events carry and what a list returns unless asked for params.
 * Params may be large (SQL, URLs); a watcher of state and progress never needs them.
 */
export const JobSummarySchema = Type.Omit(JobSchema, ['params'], { additionalProperties: false, $id: 'JobSummary' });
export type JobSummary = Static<typeof JobSummarySchema>;

export const JobEventSchema = Type.Object(
  {
    /** `state` (state, cancel request), `progress`, or `result` (the attempt's result was recorded). */
    type: Type.Union([Type.Literal('state'), Type.Literal('progress'), Type.Literal('result')]),
    // Events written before summaries (older releases) carry the whole job; readers summarize them.
    job: Type.Union([JobSummarySchema, JobSchema]),
    at: Timestamp,
  },
  { additionalProperties: false },
);
export type JobEvent = Static<typeof JobEventSchema>;

export const LogEntrySchema = Type.Object(
  {
    line: Type.String(),
    stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
    attempt: Type.Integer({ minimum: 0 }),
    at: Timestamp,
  },
  { additionalProperties: false },
);
export type LogEntry = Static<typeof LogEntrySchema>;

/** What the idempotency bucket remembers for `Idempotency-Key`: the job it named and the body's digest. */
export const IdempotencyRecordSchema = Type.Object(
  {
    jobId: Type.String(),
    bodySha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type IdempotencyRecord = Static<typeof IdempotencyRecordSchema>;
