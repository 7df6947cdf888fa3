import type { PipelineEntry } from './catalog.schema.js';

const PLACEHOLDER = /\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

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
