import type { FieldError } from '@ferry/contracts';
import { classifyAddress } from '@ferry/source-policy';

/**
 * What can be told about a `sql` job's sources at submit (docs/architecture.md §3): a URL whose host is a literal
 * address that is never allowed (link-local, cloud metadata, …) is refused now, as a 422. Names
 * are resolved, and loopback and private ranges judged, by the runner at each connection.
 */
export function refusedSourceErrors(params: Record<string, unknown>): FieldError[] {
  const sources = params['sources'];
  if (sources === null || typeof sources !== 'object') return [];
  const errors: FieldError[] = [];
  for (const [view, source] of Object.entries(sources as Record<string, { url?: unknown }>)) {
    if (typeof source.url !== 'string') continue;
    let host: string;
    try {
      host = new URL(source.url).hostname.replace(/^\[(.*)\]$/, '$1');
    } catch {
      errors.push({ field: `params.sources.${view}.url`, message: 'is not a valid URL' });
      continue;
    }
    const verdict = classifyAddress(host);
    if (verdict?.class === 'refused') errors.push({ field: `params.sources.${view}.url`, message: `is refused: ${verdict.name} is never a source` });
  }
  return errors;
}
