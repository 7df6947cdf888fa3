/** Runner exit codes (docs/architecture.md §3): one table for the runner, the local executor and `podFailurePolicy`. */
export const ExitCode = {
  Succeeded: 0,
  Permanent: 2,
  Transient: 75,
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ExitClass = 'succeeded' | 'permanent' | 'transient' | 'terminated' | 'unknown';

export function classifyExitCode(code: number): ExitClass {
  switch (code) {
    case ExitCode.Succeeded:
      return 'succeeded';
    case ExitCode.Permanent:
      return 'permanent';
    case ExitCode.Transient:
      return 'transient';
    case ExitCode.Terminated:
      return 'terminated';
    default:
      return 'unknown';
  }
}
