import { signAttemptToken, verifyAttemptToken } from './attempt-token.js';

const SECRET = 'controller-and-gateway-secret';
const TENANT = 'acme';
const JOB = '01jq0000000000000000000001';

describe('signAttemptToken', () => {
  it('is deterministic base64url of an HMAC-SHA256 (43 characters, no padding)', () => {
    const token = signAttemptToken(SECRET, TENANT, JOB, 1);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signAttemptToken(SECRET, TENANT, JOB, 1)).toBe(token);
  });

  it('differs for every part of the tuple', () => {
    const tokens = new Set([
      signAttemptToken(SECRET, TENANT, JOB, 1),
      signAttemptToken(SECRET, TENANT, JOB, 2),
      signAttemptToken(SECRET, 'beta', JOB, 1),
      signAttemptToken(SECRET, TENANT, '01jq0000000000000000000002', 1),
      signAttemptToken('another-secret', TENANT, JOB, 1),
      signAttemptToken(SECRET, TENANT, JOB, 'current'),
    ]);
    expect(tokens.size).toBe(6);
  });
});

describe('verifyAttemptToken', () => {
  const token = signAttemptToken(SECRET, TENANT, JOB, 2);

  it('accepts the token of the same secret, tenant, job and attempt', () => {
    expect(verifyAttemptToken(SECRET, TENANT, JOB, 2, token)).toBe(true);
  });

  it.each([
    { name: 'an earlier attempt', secret: SECRET, tenant: TENANT, job: JOB, attempt: 1 },
    { name: 'a later attempt', secret: SECRET, tenant: TENANT, job: JOB, attempt: 3 },
    { name: 'another job', secret: SECRET, tenant: TENANT, job: '01jq0000000000000000000002', attempt: 2 },
    { name: 'another tenant', secret: SECRET, tenant: 'beta', job: JOB, attempt: 2 },
    { name: 'another secret', secret: 'rotated-secret', tenant: TENANT, job: JOB, attempt: 2 },
    { name: 'the current attempt', secret: SECRET, tenant: TENANT, job: JOB, attempt: 'current' as const },
  ])('refuses it for $name', ({ secret, tenant, job, attempt }) => {
    expect(verifyAttemptToken(secret, tenant, job, attempt, token)).toBe(false);
  });

  it.each([
    { name: 'empty', given: '' },
    { name: 'one character short', given: token.slice(0, -1) },
    { name: 'one character long', given: `${token}A` },
    { name: 'padded', given: `${token}=` },
    { name: 'twice', given: token + token },
    { name: 'with Bearer prefix', given: `Bearer ${token}` },
    { name: 'same length, multi-byte character', given: `${token.slice(0, -2)}é` },
    { name: 'same characters, multi-byte', given: `${token.slice(0, -1)}é` },
  ])('refuses a token of another length ($name) without throwing', ({ given }) => {
    expect(verifyAttemptToken(SECRET, TENANT, JOB, 2, given)).toBe(false);
  });

  it('refuses a token of the right length with one character changed', () => {
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -1)}${last}`;
    expect(tampered).toHaveLength(token.length);
    expect(verifyAttemptToken(SECRET, TENANT, JOB, 2, tampered)).toBe(false);
  });
});
