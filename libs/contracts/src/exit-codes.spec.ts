import { classifyExitCode, ExitCode, isRetryableExit } from './exit-codes.js';

describe('exit codes', () => {
  it('names the table of docs/architecture.md §3', () => {
    expect(ExitCode).toEqual({ Succeeded: 0, Permanent: 2, Transient: 75, Terminated: 143 });
  });

  it.each([
    { code: 0, exitClass: 'succeeded', retryable: false },
    { code: 2, exitClass: 'permanent', retryable: false },
    { code: 75, exitClass: 'transient', retryable: true },
    { code: 143, exitClass: 'terminated', retryable: false },
    { code: 1, exitClass: 'unknown', retryable: true },
    { code: 137, exitClass: 'unknown', retryable: true },
    { code: 255, exitClass: 'unknown', retryable: true },
    { code: -1, exitClass: 'unknown', retryable: true },
  ])('$code is $exitClass, retryable: $retryable', ({ code, exitClass, retryable }) => {
    expect(classifyExitCode(code)).toBe(exitClass);
    expect(isRetryableExit(code)).toBe(retryable);
  });
});
