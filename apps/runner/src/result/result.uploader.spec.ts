import { CONTENT_TYPES, FILE_EXTENSIONS } from './data-format.js';
import { uploadStatusFailure } from './result.uploader.js';

describe('result formats', () => {
  it('has the content types of docs/architecture.md §3', () => {
    expect(CONTENT_TYPES).toEqual({
      csv: 'text/csv',
      parquet: 'application/vnd.apache.parquet',
      json: 'application/json',
      ndjson: 'application/x-ndjson',
    });
    expect(FILE_EXTENSIONS).toEqual({ csv: 'csv', parquet: 'parquet', json: 'json', ndjson: 'ndjson' });
  });
});

describe('uploadStatusFailure', () => {
  it.each([200, 201, 204])('%i stored the result', (status) => {
    expect(uploadStatusFailure(status, '')).toBeUndefined();
  });

  it.each([400, 401, 403, 404, 409, 413, 422, 301])('%i is a permanent ResultRefused', (status) => {
    expect(uploadStatusFailure(status, 'stale attempt')).toMatchObject({
      exitCode: 2,
      reason: 'ResultRefused',
      message: `the gateway answered the result upload with HTTP ${status}: stale attempt`,
    });
  });

  it('507 for the tenant\'s quota is a permanent QuotaExceeded; 507 for a full shared store is transient', () => {
    expect(uploadStatusFailure(507, '{"type":"urn:ferry:problem:quota_exceeded"}')).toMatchObject({ exitCode: 2, reason: 'QuotaExceeded' });
    expect(uploadStatusFailure(507, '{"type":"urn:ferry:problem:storage_full"}')).toMatchObject({ exitCode: 75, reason: 'ResultUploadFailed' });
  });

  it.each([500, 502, 503, 504, 408, 429])('%i is a transient ResultUploadFailed', (status) => {
    expect(uploadStatusFailure(status, '')).toMatchObject({ exitCode: 75, reason: 'ResultUploadFailed' });
  });
});
