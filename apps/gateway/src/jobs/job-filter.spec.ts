import { createQueuedJob, type Job, type JobState, type ListJobsQuery } from '@ferry/contracts';
import { matchesEntry, matchesFilter } from './job-filter.js';

function job(pipeline: string, state: JobState, labels: Record<string, string>): Job {
  return {
    ...createQueuedJob({
      id: '01arz3ndektsv4rrffq69g5fav',
      tenant: 'acme',
      pipeline,
      params: {},
      labels,
      maxAttempts: 1,
      timeoutSeconds: 60,
      startDeadlineSeconds: 60,
      now: new Date('2030-01-01T00:00:00.000Z'),
    }),
    state,
  };
}

const JOB = job('sql', 'running', { team: 'data', env: 'prod', expr: 'a=b=c', empty: '' });

describe('matchesFilter', () => {
  it.each<[string, ListJobsQuery, boolean]>([
    ['no filter', {}, true],
    ['the same state', { state: 'running' }, true],
    ['another state', { state: 'queued' }, false],
    ['the same pipeline', { pipeline: 'sql' }, true],
    ['another pipeline', { pipeline: 'sleep' }, false],
    ['a matching label', { label: ['team=data'] }, true],
    ['a label with another value', { label: ['team=ops'] }, false],
    ['a label the job lacks', { label: ['owner=me'] }, false],
    ['a label value that is a prefix', { label: ['team=dat'] }, false],
    ['every label matching', { label: ['team=data', 'env=prod'] }, true],
    ['one of two labels not matching', { label: ['team=data', 'env=dev'] }, false],
    ['an empty label list', { label: [] }, true],
    ['a value containing =', { label: ['expr=a=b=c'] }, true],
    ['a value cut at the second =', { label: ['expr=a'] }, false],
    ['an empty value', { label: ['empty='] }, true],
    ['an empty value against a set label', { label: ['team='] }, false],
    ['an inherited property name', { label: ['constructor=function Object() { [native code] }'] }, false],
    ['state, pipeline and label all matching', { state: 'running', pipeline: 'sql', label: ['env=prod'] }, true],
    ['state wrong, the rest matching', { state: 'failed', pipeline: 'sql', label: ['env=prod'] }, false],
    ['pipeline wrong, the rest matching', { state: 'running', pipeline: 'fail', label: ['env=prod'] }, false],
    ['label wrong, the rest matching', { state: 'running', pipeline: 'sql', label: ['env=dev'] }, false],
  ])('%s → %s', (_name, filter, matches) => {
    expect(matchesFilter(JOB, filter)).toBe(matches);
  });

  it('filters a list', () => {
    const jobs = [
      job('sql', 'running', { team: 'data' }),
      job('sql', 'queued', { team: 'data' }),
      job('sleep', 'running', { team: 'data' }),
      job('sql', 'running', { team: 'ops' }),
    ];
    expect(jobs.filter((item) => matchesFilter(item, { state: 'running', pipeline: 'sql', label: ['team=data'] }))).toEqual([jobs[0]]);
    expect(jobs.filter((item) => matchesFilter(item, { label: ['team=data'] }))).toHaveLength(3);
  });
});

describe('matchesEntry', () => {
  const entry = { id: JOB.id, createdAt: JOB.createdAt, pipeline: JOB.pipeline, labels: JOB.labels };

  it.each<[string, ListJobsQuery, boolean]>([
    ['no filter', {}, true],
    ['a state: left to the record', { state: 'queued' }, true],
    ['the same pipeline', { pipeline: 'sql' }, true],
    ['another pipeline', { pipeline: 'sleep' }, false],
    ['a matching label', { label: ['expr=a=b=c'] }, true],
    ['a label the job lacks', { label: ['owner=me'] }, false],
  ])('%s → %s', (_name, filter, matches) => {
    expect(matchesEntry(entry, filter)).toBe(matches);
  });
});
