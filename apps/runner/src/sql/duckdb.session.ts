import { join } from 'node:path';
import { DuckDBInstance, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import type { DataFormat } from '../result/data-format.js';
import { errorMessage, permanent, RunnerReason } from '../runner.failure.js';
import { classifyDuckDbError, type DiskAndMemory } from './duckdb-error.classifier.js';
import { copyStatement, createViewStatement, lockdownStatements } from './sql-text.js';

export interface SqlSessionOptions {
  /** The job's private temp folder: the only directory DuckDB may read or write. */
  readonly workDir: string;
  readonly threads: number;
  readonly memoryLimit: string;
  /** Bytes it may spill into `workDir/spill` (`max_temp_directory_size`), set before the lock. */
  readonly tempMaxBytes: number;
}

/**
 * Opens an in-memory DuckDB that can touch nothing but `workDir`: no extension install or load,
 * no network, no file outside the folder, and a locked configuration. Spill files go to
 * `workDir/spill`, so inputs larger than `memoryLimit` spill instead of failing.
 * Exported on its own so the lockdown itself is tested, not only the session's checks in front of it.
 */
export async function openLockedDatabase(options: SqlSessionOptions): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    threads: String(options.threads),
    memory_limit: options.memoryLimit,
    temp_directory: join(options.workDir, 'spill'),
    // DuckDB's default is 90% of the free disk: one job could fill the node.
    max_temp_directory_size: `${options.tempMaxBytes}B`,
  });
  const connection = await instance.connect();
  try {
    for (const statement of lockdownStatements(options.workDir)) await connection.run(statement);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return { instance, connection };
}

/** One job's SQL: views over the fetched sources, one checked SELECT, its result written as a file. */
export class SqlSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly limits: DiskAndMemory,
  ) {}

  static async open(options: SqlSessionOptions): Promise<SqlSession> {
    const { instance, connection } = await openLockedDatabase(options);
    return new SqlSession(instance, connection, { memoryLimit: options.memoryLimit, tempMaxBytes: options.tempMaxBytes });
  }

  /** Registered after the lockdown: the views read the temp folder under the same rules as the user's SQL. */
  async registerView(name: string, format: DataFormat, path: string): Promise<void> {
    try {
      await this.connection.run(createViewStatement(name, format, path));
    } catch (error) {
      throw classifyDuckDbError(error, { ...this.limits, source: name });
    }
  }

  /** DuckDB's own parser decides: exactly one statement, and its prepared type is SELECT. */
  async assertSingleSelect(sql: string): Promise<void> {
    let statements;
    try {
      statements = await this.connection.extractStatements(sql);
    } catch (error) {
      const message = errorMessage(error);
      // The binding reports zero statements (blank text, only comments) without DuckDB's message.
      if (message === 'Error in native callback') throw permanent(RunnerReason.InvalidSql, 'sql contains no statement', error);
      throw permanent(RunnerReason.SqlError, message.replace(/^Failed to extract statements: /, ''), error);
    }
    if (statements.count !== 1) {
      throw permanent(RunnerReason.InvalidSql, `sql must be exactly one SELECT statement, not ${statements.count} statements`);
    }
    let type: StatementType;
    try {
      const prepared = await statements.prepare(0);
      type = prepared.statementType;
      prepared.destroySync();
    } catch (error) {
      throw classifyDuckDbError(error, this.limits);
    }
    if (type !== StatementType.SELECT) {
      throw permanent(RunnerReason.InvalidSql, `sql must be a read-only SELECT, not a ${StatementType[type]} statement`);
    }
  }

  /** Runs the SELECT as `COPY (…) TO path`; resolves to the number of rows written. */
  async copyResult(select: string, format: DataFormat, path: string): Promise<number> {
    const statement = copyStatement(select, format, path);
    try {
      const wrapped = await this.connection.extractStatements(statement);
      // Defence in depth: the checked SELECT cannot have closed the parenthesis and added a statement.
      if (wrapped.count !== 1) throw permanent(RunnerReason.InvalidSql, 'sql must be exactly one SELECT statement');
      const result = await this.connection.run(statement);
      return result.rowsChanged;
    } catch (error) {
      throw classifyDuckDbError(error, this.limits);
    }
  }

  interrupt(): void {
    this.connection.interrupt();
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
