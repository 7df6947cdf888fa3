import { permanent } from '../runner.failure.js';
import { fetchFailure, redact, statusFailure } from './http-source.fetcher.js';

const url = new URL('https://user:secret@data.example.com/sales.csv?sig=abc');

describe('source answers and errors', () => {
  it.each([
    [404, 2, 'SourceUnavailable'],
    [403, 2, 'SourceUnavailable'],
    [410, 2, 'SourceUnavailable'],
    [304, 2, 'SourceUnavailable'],
    [408, 75, 'SourceUnreachable'],
    [429, 75, 'SourceUnreachable'],
    [500, 75, 'SourceUnreachable'],
    [503, 75, 'SourceUnreachable'],
  ])('HTTP %i → exit %i, %s', (status, exitCode, reason) => {
    expect(statusFailure(status, url)).toMatchObject({ exitCode, reason, message: `source https://data.example.com/sales.csv answered HTTP ${status}` });
  });

  it.each([
    ['ECONNREFUSED', 75, 'SourceUnreachable'],
    ['ECONNRESET', 75, 'SourceUnreachable'],
    ['ETIMEDOUT', 75, 'SourceUnreachable'],
    ['EAI_AGAIN', 75, 'SourceUnreachable'],
    ['CERT_HAS_EXPIRED', 2, 'SourceUnavailable'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 2, 'SourceUnavailable'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 2, 'SourceUnavailable'],
  ])('%s → exit %i, %s', (code, exitCode, reason) => {
    expect(fetchFailure(Object.assign(new Error(code), { code }), url)).toMatchObject({ exitCode, reason });
  });

  it('keeps a refusal as it is', () => {
    const refusal = permanent('SourceRefused', 'no');
    expect(fetchFailure(refusal, url)).toBe(refusal);
  });

  it('never puts credentials or the query in a message', () => {
    expect(redact(url)).toBe('https://data.example.com/sales.csv');
  });
});
