// The API server's audit log (scripts/k8s-cluster/control-plane.ts writes ServiceAccounts' requests as JSON lines):
// what Ferry's controller itself asked of Kubernetes, apart from the Job controller, scheduler and kwok.
import { readFile } from 'node:fs/promises';

export interface AuditEvent {
  readonly stage: string;
  readonly verb: string;
  readonly user: { readonly username: string };
  readonly requestURI: string;
  readonly objectRef?: { readonly resource?: string; readonly subresource?: string; readonly name?: string };
  readonly responseStatus?: { readonly code?: number };
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

export const isWrite = (event: AuditEvent): boolean => WRITES.has(event.verb);

/** Completed requests of one user, e.g. `system:serviceaccount:ferry:ferry-controller`. */
export async function requestsOf(auditLog: string, username: string): Promise<AuditEvent[]> {
  return (await readFile(auditLog, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEvent)
    .filter((event) => event.stage === 'ResponseComplete' && event.user.username === username);
}

/** Counts by `verb resource[/subresource]`, with the status code when `withStatus`. */
export function countByRequest(events: readonly AuditEvent[], withStatus = true): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const resource = `${event.objectRef?.resource ?? '?'}${event.objectRef?.subresource === undefined ? '' : `/${event.objectRef.subresource}`}`;
    const key = withStatus ? `${event.verb} ${resource} ${event.responseStatus?.code ?? '?'}` : `${event.verb} ${resource}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
