import type { FieldError } from '@ferry/contracts';
import type { PipelineEntry } from './catalog.schema.js';

const PLACEHOLDER = /\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
/** An argument that begins with a placeholder: the value decides whether it reads as an option. */
const LEADING_PLACEHOLDER = /^\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;

/** Whether a template holds a placeholder (the catalog refuses them in `command`). */
export function hasPlaceholder(template: string): boolean {
  return new RegExp(PLACEHOLDER.source).test(template);
}

/**
 * The argv of a `container` pipeline for these params: command then args, each `{{params.x}}`
 * replaced inside its own element (strings as they are, other values as JSON, a missing one as
 * empty). Never joined into a shell line, so a value cannot become another argument or a command.
 */
export function renderArgv(entry: Pick<PipelineEntry, 'command' | 'args'>, params: Record<string, unknown>): string[] {
  const render = (template: string): string =>
    template.replace(PLACEHOLDER, (_match, name: string) => {
      const value = Object.hasOwn(params, name) ? params[name] : undefined;
      if (value === undefined || value === null) return '';
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  return [...(entry.command ?? []), ...(entry.args ?? [])].map(render);
}

/**
 * Params that would make an argument start with `-`, where the program would read an option the
 * operator never wrote (`--config=/etc/…`). Allowed only for a param whose schema has a `pattern`:
 * there the operator said which values are fine.
 */
export function optionLikeParams(entry: Pick<PipelineEntry, 'args'>, paramsSchema: Record<string, unknown>, params: Record<string, unknown>): FieldError[] {
  const properties = (paramsSchema['properties'] ?? {}) as Record<string, { pattern?: unknown } | undefined>;
  const errors: FieldError[] = [];
  for (const template of entry.args ?? []) {
    const name = LEADING_PLACEHOLDER.exec(template)?.[1];
    if (name === undefined || typeof properties[name]?.pattern === 'string') continue;
    const rendered = renderArgv({ args: [template] }, params)[0] ?? '';
    if (rendered.startsWith('-')) errors.push({ field: `params.${name}`, message: 'must not start with "-": it would be read as an option' });
  }
  return errors;
}
