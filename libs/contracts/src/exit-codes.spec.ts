import { classifyExitCode, ExitCode } from './exit-codes.js';

describe('exit codes', () => {
  it('names the table of docs/architecture.md §3', () => {
    expect(ExitCode).toEqual({ Succeeded: 0, Permanent: 2, Transient: 75, Terminated: 143 });
  });

  it.each([
    { code: 0, exitClass: 'succeeded' },
    { code: 2, exitClass: 'permanent' },
    { code: 75, exitClass: 'transient' },
    { code: 143, exitClass: 'terminated' },
    { code: 1, exitClass: 'unknown' },
    { code: 137, exitClass: 'unknown' },
    { code: 255, exitClass: 'unknown' },
    { code: -1, exitClass: 'unknown' },
  ])('$code is $exitClass', ({ code, exitClass }) => {
    expect(classifyExitCode(code)).toBe(exitClass);
  });
});
