import { Type, type Static } from '@sinclair/typebox';
import { PIPELINE_NAME_PATTERN } from '@ferry/contracts';

const Limits = Type.Object(
  {
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1 })),
    startDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const Resources = Type.Object(
  {
    requests: Type.Optional(Type.Record(Type.String(), Type.String())),
    limits: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

/** One entry of the pipeline catalog (a YAML file; a ConfigMap in the chart). */
export const PipelineEntrySchema = Type.Object(
  {
    name: Type.String({ pattern: PIPELINE_NAME_PATTERN.source }),
    description: Type.String({ minLength: 1 }),
    kind: Type.Union([Type.Literal('sql'), Type.Literal('container'), Type.Literal('sleep'), Type.Literal('fail')]),
    /** JSON Schema for `params`; built-in kinds bring their own and may not replace it. */
    paramsSchema: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    defaults: Type.Optional(Limits),
    maxima: Type.Optional(Limits),
    resources: Type.Optional(Resources),
    nodeSelector: Type.Optional(Type.Record(Type.String(), Type.String())),
    tolerations: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Unknown()))),
    /** `container` only: argv with `{{params.x}}` placeholders, rendered element by element, never through a shell. */
    image: Type.Optional(Type.String({ minLength: 1 })),
    command: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    args: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
export type PipelineEntry = Static<typeof PipelineEntrySchema>;

export const CatalogFileSchema = Type.Object(
  { pipelines: Type.Array(PipelineEntrySchema, { minItems: 1 }) },
  { additionalProperties: false },
);
export type CatalogFile = Static<typeof CatalogFileSchema>;
