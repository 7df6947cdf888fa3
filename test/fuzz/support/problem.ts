import { ErrorCode } from '@ferry/contracts';
import { HttpErrorCode } from '../../../apps/gateway/src/http/http-error.ts';

const PROBLEM_FIELDS = new Set(['type', 'title', 'status', 'detail', 'errors']);
/** The domain's codes and those only HTTP has: every problem `type` the gateway can send. */
const CODES = new Set<string>([...Object.values(ErrorCode), ...Object.values(HttpErrorCode)]);

/**
 * Why an error response is not the problem document docs/architecture.md §4 promises, or `undefined` when it is:
 * `application/problem+json`, `type` `urn:ferry:problem:<a known code>`, a `title`, `status` equal to
 * the HTTP status, a `detail`, optional non-empty `errors: [{field, message}]`, and nothing else.
 */
export function problemViolation(status: number, contentType: string | null | undefined, body: string): string | undefined {
  if (!/^application\/problem\+json\s*(;|$)/i.test(contentType ?? '')) return `content type ${contentType ?? '(none)'}`;
  let problem: unknown;
  try {
    problem = JSON.parse(body);
  } catch {
    return `body is not JSON: ${body.slice(0, 200)}`;
  }
  if (problem === null || typeof problem !== 'object' || Array.isArray(problem)) return `body is not an object: ${body.slice(0, 200)}`;
  const fields = problem as Record<string, unknown>;
  const extra = Object.keys(fields).filter((key) => !PROBLEM_FIELDS.has(key));
  if (extra.length > 0) return `unexpected fields ${extra.join(', ')}`;
  const code = /^urn:ferry:problem:([a-z_]+)$/.exec(String(fields['type']))?.[1];
  if (code === undefined || !CODES.has(code)) return `type ${String(fields['type'])}`;
  if (typeof fields['title'] !== 'string' || fields['title'] === '') return 'no title';
  if (fields['status'] !== status) return `status ${String(fields['status'])} in a ${status} response`;
  if (typeof fields['detail'] !== 'string' || fields['detail'] === '') return 'no detail';
  const errors = fields['errors'];
  if (errors !== undefined) {
    const wellFormed =
      Array.isArray(errors) &&
      errors.length > 0 &&
      errors.every((error: unknown) => {
        const entry = error as Record<string, unknown> | null;
        return entry !== null && typeof entry === 'object' && typeof entry['field'] === 'string' && typeof entry['message'] === 'string';
      });
    if (!wellFormed) return `errors ${JSON.stringify(errors).slice(0, 200)}`;
  }
  return undefined;
}
