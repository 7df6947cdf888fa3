import { createQueuedJob, newJobId, type Job } from '@ferry/contracts';

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
