import { CURRENT_ATTEMPT, RUNNER_ENV, createQueuedJob, signAttemptToken, type Job } from '@ferry/contracts';
import { specPipeline as entry } from '@ferry/pipelines/testing';
import { buildRunnerLaunch } from './runner-launch.builder.js';

const settings = { gatewayUrl: 'http://gateway:8080/', resultSecret: 'a-result-secret-of-enough-length-0123456789' };

function running(pipeline: string, params: Record<string, unknown>, attempt: number): Job {
  const queued = createQueuedJob({ id: '01j9z3k8x2m4n6p8q0r2s4t6v8', tenant: 'acme', pipeline, params, labels: {}, maxAttempts: 3, timeoutSeconds: 60, startDeadlineSeconds: 60, now: new Date('2030-01-01T00:00:00Z') });
  return { ...queued, state: 'starting', attempt };
}

describe('buildRunnerLaunch', () => {
  it('tells a numbered attempt its spec, its upload URL and a token for that attempt alone', () => {
    const job = running('sleep', { seconds: 1 }, 2);
    const { spec, env } = buildRunnerLaunch(job, entry('sleep'), 2, settings);
    expect(spec).toEqual({ id: job.id, tenant: 'acme', pipeline: 'sleep', kind: 'sleep', attempt: 2, params: { seconds: 1 } });
    expect(env).toEqual({
      [RUNNER_ENV.job]: JSON.stringify(spec),
      [RUNNER_ENV.resultUrl]: `http://gateway:8080/internal/v1/results/acme/${job.id}/2`,
      [RUNNER_ENV.resultToken]: signAttemptToken(settings.resultSecret, 'acme', job.id, 2),
    });
  });

  it('tells the current attempt so in the spec, the URL and the token', () => {
    const job = running('sleep', { seconds: 1 }, 1);
    const { spec, env } = buildRunnerLaunch(job, entry('sleep'), CURRENT_ATTEMPT, settings);
    expect(spec.attempt).toBe(CURRENT_ATTEMPT);
    expect(env[RUNNER_ENV.resultUrl]).toBe(`http://gateway:8080/internal/v1/results/acme/${job.id}/current`);
    expect(env[RUNNER_ENV.resultToken]).toBe(signAttemptToken(settings.resultSecret, 'acme', job.id, CURRENT_ATTEMPT));
    expect(env[RUNNER_ENV.resultToken]).not.toBe(signAttemptToken(settings.resultSecret, 'acme', job.id, 1));
  });

  it("renders a container entry's command line from the params, into the spec", () => {
    const { spec } = buildRunnerLaunch(running('shout', { word: 'hi', times: 2 }, 1), entry('shout'), 1, settings);
    expect(spec.argv).toEqual(['sh', '-c', 'echo "$0" | tr a-z A-Z', 'hi', '--times=2']);
  });
});
