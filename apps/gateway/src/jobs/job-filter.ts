import type { Job, ListJobsQuery } from '@ferry/contracts';

/** Whether a job passes the list filters: state, pipeline and every `label=k=v` pair. */
export function matchesFilter(job: Job, query: ListJobsQuery): boolean {
  if (query.state !== undefined && job.state !== query.state) return false;
  if (query.pipeline !== undefined && job.pipeline !== query.pipeline) return false;
  for (const pair of query.label ?? []) {
    const separator = pair.indexOf('=');
    if (job.labels[pair.slice(0, separator)] !== pair.slice(separator + 1)) return false;
  }
  return true;
}
