import { LIST_LIMIT, createQueuedJob, newJobId, type Job } from '@ferry/contracts';
import type { Api } from './api.ts';

/** A queued `sleep` job record as the gateway would write it, for tests that go to the store directly. */
export function queuedJob(tenant = 'acme', overrides: Partial<Pick<Job, 'pipeline' | 'labels' | 'maxAttempts'>> = {}, now = new Date()): Job {
  return createQueuedJob({
    id: newJobId(now.getTime()),
    tenant,
    pipeline: overrides.pipeline ?? 'sleep',
    params: { seconds: 1 },
    labels: overrides.labels ?? {},
    maxAttempts: overrides.maxAttempts ?? 3,
    timeoutSeconds: 60,
    startDeadlineSeconds: 60,
    now,
  });
}

interface JobPage {
  readonly items: { id: string }[];
  readonly nextCursor: string | null;
}

/** Every job id a tenant can list, newest first, through all pages (each page checked to be a 200). */
export async function listJobIds(api: Api): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { status: number; text: string; body: JobPage } = await api.get<JobPage>(`/v1/jobs?limit=${LIST_LIMIT.max}${cursor === null ? '' : `&cursor=${cursor}`}`);
    if (page.status !== 200) throw new Error(`listing jobs answered ${page.status}: ${page.text}`);
    ids.push(...page.body.items.map((job) => job.id));
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return ids;
}
