import type { Job, ListJobsQuery } from '@ferry/contracts';
import type { JobListEntry } from '@ferry/nats';

/** What a job keeps from creation on: its list entry holds exactly this. */
type Fixed = Pick<JobListEntry, 'pipeline' | 'labels'>;

/** Whether a job passes the list filters: state, pipeline and every `label=k=v` pair. */
export function matchesFilter(job: Job, query: ListJobsQuery): boolean {
  if (query.state !== undefined && job.state !== query.state) return false;
  return matchesFixed(job, query);
}

/**
 * Whether a list entry can name a job that passes: pipeline and labels, which never change, so
 * entries that fail are passed over without reading their record.
 */
export function matchesEntry(entry: JobListEntry, query: ListJobsQuery): boolean {
  return matchesFixed(entry, query);
}

function matchesFixed(fixed: Fixed, query: ListJobsQuery): boolean {
  if (query.pipeline !== undefined && fixed.pipeline !== query.pipeline) return false;
  for (const pair of query.label ?? []) {
    const separator = pair.indexOf('=');
    if (fixed.labels[pair.slice(0, separator)] !== pair.slice(separator + 1)) return false;
  }
  return true;
}
