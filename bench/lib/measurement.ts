// What every bench scenario returns: one sample per round for each (scenario, metric, subject).
// The harness turns them into medians and Ferry/peer ratios, printed and written as JSON and markdown.

export interface Measurement {
  /** e.g. `http-floor GET /`, `intake`, `dispatch`, `burst`, `etl csv`, `footprint`. */
  readonly scenario: string;
  /** e.g. `requests/s`, `p99 ms`, `rows/s`, `peak RSS MiB`. */
  readonly metric: string;
  /** `ferry` (or a Ferry variant such as `ferry sync=default`), or the peer's name. */
  readonly subject: string;
  /** Whether a larger value is better (requests/s) or a smaller one (latency, memory). */
  readonly higherIsBetter: boolean;
  /** One value per round, in round order. */
  readonly samples: readonly number[];
  /** Anything a reader needs to trust the number: sizes, connections, durability setting. */
  readonly note?: string;
}
