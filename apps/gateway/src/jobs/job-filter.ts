import type { Job, ListJobsQuery } from '@ferry/contracts';
import type { JobListEntry } from '@ferry/nats';

/** Whether a job passes the list filters: state, then what its list entry also holds. */
export function matchesFilter(job: Job, query: ListJobsQuery): boolean {
  if (query.state !== undefined && job.state !== query.state) return false;
  return matchesEntry(job, query);
}

/**
 * Whether a job's list entry (or the job itself: it has the same fields) passes the filters on
 * what never changes, pipeline and every `label=k=v` pair; entries that fail are passed over
 * without reading their record.
 */
export function matchesEntry(fixed: Pick<JobListEntry, 'pipeline' | 'labels'>, query: ListJobsQuery): boolean {
  if (query.pipeline !== undefined && fixed.pipeline !== query.pipeline) return false;
  for (const pair of query.label ?? []) {
    const separator = pair.indexOf('=');
    if (fixed.labels[pair.slice(0, separator)] !== pair.slice(separator + 1)) return false;
  }
  return true;
}
