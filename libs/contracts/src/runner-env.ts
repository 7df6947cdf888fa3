/** Names of the environment variables an executor gives a job attempt (docs/architecture.md §2–3). */
export const RUNNER_ENV = {
  /** The attempt's spec as JSON (`RunnerSpec`). */
  job: 'FERRY_JOB',
  resultUrl: 'FERRY_RESULT_URL',
  resultToken: 'FERRY_RESULT_TOKEN',
  /** Local mode only: `file://` sources must resolve below this folder. Unset: `file://` is refused. */
  dataDir: 'FERRY_DATA_DIR',
  /** `true` where sources may be on loopback (off by default; the tests' fixture servers turn it on). */
  allowLoopback: 'FERRY_SOURCE_ALLOW_LOOPBACK',
  /** Comma-separated CIDRs of private ranges (RFC 1918, ULA) that sources may use. */
  allowCidrs: 'FERRY_SOURCE_ALLOW_CIDRS',
  /** `1` when the executor keeps the runner's stdin open: its end means the controller is gone. */
  watchStdin: 'FERRY_WATCH_STDIN',
  /** Local mode: the file the runner writes its `ExitRecord` to as it exits by its own verdict. */
  exitRecord: 'FERRY_EXIT_RECORD',
  duckdbMemoryLimit: 'FERRY_DUCKDB_MEMORY_LIMIT',
  duckdbThreads: 'FERRY_DUCKDB_THREADS',
  /** Bytes DuckDB may spill to its temp folder (`max_temp_directory_size`); past it, `DiskLimitExceeded`. */
  duckdbTempMaxBytes: 'FERRY_DUCKDB_TEMP_MAX_BYTES',
  sourceMaxBytes: 'FERRY_SOURCE_MAX_BYTES',
  resultMaxBytes: 'FERRY_RESULT_MAX_BYTES',
  tmpDir: 'FERRY_TMP_DIR',
} as const;
