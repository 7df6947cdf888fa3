import { CURRENT_ATTEMPT, RESULT_UPLOAD_ROUTE, parseUploadAttempt, resultUploadUrl } from './upload-attempt.js';

const JOB = '01jq0000000000000000000001';

describe('resultUploadUrl', () => {
  it('fills the route in, with or without a trailing slash on the gateway address', () => {
    expect(resultUploadUrl('http://gateway:8080', 'acme', JOB, 2)).toBe(`http://gateway:8080/internal/v1/results/acme/${JOB}/2`);
    expect(resultUploadUrl('http://gateway:8080/', 'acme', JOB, CURRENT_ATTEMPT)).toBe(`http://gateway:8080/internal/v1/results/acme/${JOB}/current`);
  });

  it('is the route the gateway serves', () => {
    const path = new URL(resultUploadUrl('http://gateway', 'acme', JOB, 3)).pathname;
    const pattern = new RegExp(`^${RESULT_UPLOAD_ROUTE.replace(/:\w+/g, '[^/]+')}$`);
    expect(path).toMatch(pattern);
  });
});

describe('parseUploadAttempt', () => {
  it.each([
    ['1', 1],
    ['10', 10],
    ['current', CURRENT_ATTEMPT],
  ])('reads %s', (text, attempt) => {
    expect(parseUploadAttempt(text)).toBe(attempt);
  });

  it.each(['0', '-1', '01', '1.5', '1e3', '', 'Current', 'latest', '9999999999'])('refuses %j', (text) => {
    expect(parseUploadAttempt(text)).toBeUndefined();
  });
});
