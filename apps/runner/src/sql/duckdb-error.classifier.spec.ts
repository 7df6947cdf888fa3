import { classifyDuckDbError } from './duckdb-error.classifier.js';
import { permanent } from '../runner.failure.js';

const context = { memoryLimit: '1GB' };

describe('classifyDuckDbError', () => {
  it.each([
    ['Parser Error: syntax error at or near "SELEC"', 2, 'SqlError'],
    ['Binder Error: Referenced column "nope" not found', 2, 'SqlError'],
    ['Catalog Error: Table with name nope does not exist!', 2, 'SqlError'],
    ["Conversion Error: Could not convert string 'a' to INT32", 2, 'SqlError'],
    ['Permission Error: Cannot access file "/etc/passwd"', 2, 'SqlError'],
    ['Out of Memory Error: failed to allocate data of size 16.0 MiB', 2, 'OutOfMemory'],
    ['IO Error: Could not write file "spill/x": No space left on device', 75, 'StorageError'],
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
});
