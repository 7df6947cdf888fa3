import { classifyDuckDbError } from './duckdb-error.classifier.js';
import { permanent } from '../runner.failure.js';

const context = { memoryLimit: '1GB', tempMaxBytes: 2 * 1024 ** 3 };

describe('classifyDuckDbError', () => {
  it.each([
    ['Parser Error: syntax error at or near "SELEC"', 2, 'SqlError'],
    ['Binder Error: Referenced column "nope" not found', 2, 'SqlError'],
    ['Catalog Error: Table with name nope does not exist!', 2, 'SqlError'],
    ["Conversion Error: Could not convert string 'a' to INT32", 2, 'SqlError'],
    ['Permission Error: Cannot access file "/etc/passwd"', 2, 'SqlError'],
    ['Out of Memory Error: failed to allocate data of size 16.0 MiB', 2, 'OutOfMemory'],
    ['IO Error: Could not write file "spill/x": No space left on device', 75, 'DiskLimitExceeded'],
    ['IO Error: Could not read file "spill/x": Input/output error', 75, 'StorageError'],
    ["Out of Memory Error: failed to offload data block of size 256.0 KiB (1.9 GiB/1.9 GiB used).\nThis limit was set by the 'max_temp_directory_size' setting.", 2, 'DiskLimitExceeded'],
    ['INTERNAL Error: Attempted to access index 3', 1, 'EngineError'],
    ['something unexpected', 2, 'SqlError'],
  ])('%s → exit %i, %s', (message, exitCode, reason) => {
    expect(classifyDuckDbError(new Error(message), context)).toMatchObject({ exitCode, reason });
  });

  it('says why running out of memory is permanent, naming the limit', () => {
    const failure = classifyDuckDbError(new Error('Out of Memory Error: failed to allocate'), context);
    expect(failure.message).toMatch(/FERRY_DUCKDB_MEMORY_LIMIT \(1GB\).*a retry would fail the same way/);
  });

  it('blames the source while views are registered', () => {
    const failure = classifyDuckDbError(new Error('Invalid Input Error: not a Parquet file'), { ...context, source: 'sales' });
    expect(failure).toMatchObject({ exitCode: 2, reason: 'SourceInvalid', message: 'source "sales" cannot be read: Invalid Input Error: not a Parquet file' });
  });

  it('keeps a failure that is already classified', () => {
    const failure = permanent('InvalidSql', 'two statements');
    expect(classifyDuckDbError(failure, context)).toBe(failure);
  });

  it.each([
    ['Invalid Input Error: CSV Error on Line: 2\nOriginal Line: secret,token\nExpected 3 columns', { source: 'page' }, 'source "page" cannot be read: Invalid Input Error: CSV Error on Line: 2'],
    ['Invalid Input Error: Malformed JSON at byte 0 of input: unexpected character.  Input: <html>nats monitoring', { source: 'page' }, 'source "page" cannot be read: Invalid Input Error: Malformed JSON at byte 0 of input: unexpected character.'],
    ["Conversion Error: Could not convert string 'hunter2' to INT32", {}, 'Conversion Error: Could not convert string "…" to INT32'],
    ['Invalid Input Error: "server_id": "NDJ…" is not a number', {}, 'Invalid Input Error: "…": "…" is not a number'],
    ['Binder Error: Referenced column "amount" not found in FROM clause!\nCandidate bindings: "<html><body>server_id NSECRET"\n\nLINE 1: SELECT amount FROM page', {}, 'Binder Error: Referenced column "amount" not found in FROM clause!'],
  ])('never echoes what a source served: %s', (message, extra, said) => {
    expect(classifyDuckDbError(new Error(message), { ...context, ...extra }).message).toBe(said);
  });
});
