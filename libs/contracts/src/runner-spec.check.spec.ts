import { checkRunnerSpec } from './runner-spec.check.js';
import { parseRunnerSpec } from './parse.js';

const valid = { id: 'j1', tenant: 'acme', pipeline: 'sleep', kind: 'sleep', attempt: 1, params: { seconds: 0 } };

// The hand-written check must reach the same verdict as the JSON Schema on every case; the first
// ones are accepted, every other one is refused.
const accepted: Array<[string, unknown]> = [
  ['a valid spec', valid],
  ['a container spec with argv', { ...valid, kind: 'container', argv: ['sh', '-c', 'echo hi'] }],
  ['the current attempt (an executor that retries itself)', { ...valid, attempt: 'current' }],
];
const refused: Array<[string, unknown]> = [
  ['null', null],
  ['an array', [valid]],
  ['a string', 'spec'],
  ['an unknown property', { ...valid, extra: 1 }],
  ['a missing id', { ...valid, id: undefined }],
  ['a numeric tenant', { ...valid, tenant: 7 }],
  ['an unknown kind', { ...valid, kind: 'python' }],
  ['attempt 0', { ...valid, attempt: 0 }],
  ['another word for the attempt', { ...valid, attempt: 'latest' }],
  ['attempt -1', { ...valid, attempt: -1 }],
  ['a fractional attempt', { ...valid, attempt: 1.5 }],
  ['attempt as a string', { ...valid, attempt: '1' }],
  ['params as an array', { ...valid, params: [] }],
  ['params null', { ...valid, params: null }],
  ['an empty argv', { ...valid, argv: [] }],
  ['argv with a number', { ...valid, argv: ['echo', 1] }],
];

const cases = [...accepted.map(([name, value]) => [name, value, 'accepted'] as const), ...refused.map(([name, value]) => [name, value, 'rejected'] as const)];

describe('checkRunnerSpec agrees with RunnerSpecSchema', () => {
  it.each(cases)('%s', (_name, value, verdict) => {
    const input = value !== null && typeof value === 'object' && !Array.isArray(value) ? JSON.parse(JSON.stringify(value)) : value;
    const bySchema = (() => {
      try {
        parseRunnerSpec(input);
        return 'accepted';
      } catch {
        return 'rejected';
      }
    })();
    const byHand = (() => {
      try {
        checkRunnerSpec(input);
        return 'accepted';
      } catch {
        return 'rejected';
      }
    })();
    expect(bySchema).toBe(verdict);
    expect(byHand).toBe(bySchema);
  });
});
