import { Type, type Static } from '@sinclair/typebox';

/** What a runner is told to do: one attempt of one job. */
export const RunnerSpecSchema = Type.Object(
  {
    id: Type.String(),
    tenant: Type.String(),
    pipeline: Type.String(),
    kind: Type.Union([Type.Literal('sql'), Type.Literal('sleep'), Type.Literal('fail'), Type.Literal('container')]),
    /** 1, 2, …; `current` when the executor retries attempts itself and the runner cannot know which it is (Kubernetes). */
    attempt: Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('current')]),
    params: Type.Record(Type.String(), Type.Unknown()),
    /** `container` only: the command and its arguments, placeholders already rendered. */
    argv: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  },
  { additionalProperties: false },
);
export type RunnerSpec = Static<typeof RunnerSpecSchema>;
