import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '@ferry/contracts';
import { hasPlaceholder } from './argv.renderer.js';
import { BUILTIN_PARAMS_SCHEMAS } from './builtin-params.schemas.js';
import type { PipelineEntry } from './catalog.schema.js';

/** A catalog entry with its params validator compiled once. */
export interface Pipeline {
  readonly entry: PipelineEntry;
  readonly paramsSchema: Record<string, unknown>;
  /** Checks `params` in place (filling schema defaults); returns the errors, empty when valid. */
  readonly checkParams: (params: Record<string, unknown>) => FieldError[];
}

export interface PipelineSummary {
  readonly name: string;
  readonly description: string;
  readonly paramsSchema: Record<string, unknown>;
  readonly defaults: Record<string, number>;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
(addFormats as unknown as (instance: Ajv) => Ajv)(ajv);

/** The pipelines a deployment offers, by name. Built from a validated catalog file (see `loadCatalog`). */
export class Catalog {
  readonly #pipelines: ReadonlyMap<string, Pipeline>;

  constructor(entries: readonly PipelineEntry[]) {
    const pipelines = new Map<string, Pipeline>();
    for (const entry of entries) {
      if (pipelines.has(entry.name)) throw new Error(`pipeline catalog: "${entry.name}" appears twice`);
      pipelines.set(entry.name, compilePipeline(entry));
    }
    this.#pipelines = pipelines;
  }

  get(name: string): Pipeline | undefined {
    return this.#pipelines.get(name);
  }

  /** The names of the entries of one kind, in catalog order. */
  namesOf(kind: PipelineEntry['kind']): string[] {
    return [...this.#pipelines.values()].filter(({ entry }) => entry.kind === kind).map(({ entry }) => entry.name);
  }

  summaries(): PipelineSummary[] {
    return [...this.#pipelines.values()].map(({ entry, paramsSchema }) => ({
      name: entry.name,
      description: entry.description,
      paramsSchema,
      defaults: { ...entry.defaults },
    }));
  }
}

function compilePipeline(entry: PipelineEntry): Pipeline {
  const builtin = entry.kind === 'container' ? undefined : BUILTIN_PARAMS_SCHEMAS[entry.kind];
  if (builtin !== undefined && entry.paramsSchema !== undefined) {
    throw new Error(`pipeline catalog: "${entry.name}" is of built-in kind ${entry.kind}, whose params schema is fixed`);
  }
  if (entry.kind === 'container') checkContainerEntry(entry);
  const paramsSchema = (builtin as Record<string, unknown> | undefined) ?? entry.paramsSchema ?? { type: 'object' };
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(paramsSchema);
  } catch (error) {
    throw new Error(`pipeline catalog: "${entry.name}" has an invalid paramsSchema: ${(error as Error).message}`, { cause: error });
  }
  return {
    entry,
    paramsSchema,
    checkParams: (params) => (validate(params) ? [] : (validate.errors ?? []).map(toFieldError)),
  };
}

/** What a container entry must say, so that a client's params cannot pick or steer the program. */
function checkContainerEntry(entry: PipelineEntry): void {
  if (entry.command === undefined || entry.image === undefined) {
    throw new Error(`pipeline catalog: container pipeline "${entry.name}" needs an image and a command`);
  }
  if (entry.command.some(hasPlaceholder)) {
    throw new Error(`pipeline catalog: container pipeline "${entry.name}" has a {{params.…}} placeholder in its command; params go in args`);
  }
  if (entry.paramsSchema === undefined) {
    throw new Error(`pipeline catalog: container pipeline "${entry.name}" needs a paramsSchema: without one a client could pass anything`);
  }
}

function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath.split('/').slice(1).join('.');
  const base = path === '' ? 'params' : `params.${path}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return { field: `${base}.${String(params['missingProperty'])}`, message: 'is required' };
  if (error.keyword === 'additionalProperties') {
    return { field: `${base}.${String(params['additionalProperty'])}`, message: 'is not a known parameter' };
  }
  return { field: base, message: error.message ?? 'is invalid' };
}
