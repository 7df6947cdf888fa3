// What the scenarios share: their options, the round-robin over subjects, and the collector that
// turns samples into Measurements (a subject that failed becomes a `missing` row with its reason).
import type { Measurement } from './measurement.ts';

/** Agreed by every scenario file (`run(options)`), including etl.ts and footprint.ts. */
export interface ScenarioOptions {
  readonly quick: boolean;
  readonly rounds: number;
  /** Progress lines (stderr); the scenarios print nothing else. */
  readonly log?: (line: string) => void;
  /** Subjects to run, by name prefix (`--only ferry,celery`); all when absent. */
  readonly subjects?: readonly string[];
  /** Burst: jobs per burst (default 5,000; 500 quick) and rounds (default 1: a full burst takes minutes). */
  readonly burstJobs?: number;
  readonly burstRounds?: number;
}

export const MISSING = 'missing';

export class Collector {
  private readonly rows = new Map<string, { scenario: string; metric: string; subject: string; higherIsBetter: boolean; samples: number[]; note: string | undefined }>();
  private readonly order: string[] = [];

  add(scenario: string, metric: string, subject: string, higherIsBetter: boolean, value: number, note?: string): void {
    const key = `${scenario}\u0000${metric}\u0000${subject}`;
    let row = this.rows.get(key);
    if (row === undefined) {
      row = { scenario, metric, subject, higherIsBetter, samples: [], note };
      this.rows.set(key, row);
      this.order.push(key);
    }
    row.samples.push(value);
  }

  missing(scenario: string, subject: string, reason: string): void {
    const key = `${scenario}\u0000${MISSING}\u0000${subject}`;
    if (this.rows.has(key)) return;
    this.rows.set(key, { scenario, metric: MISSING, subject, higherIsBetter: true, samples: [], note: reason });
    this.order.push(key);
  }

  measurements(): Measurement[] {
    return this.order.map((key) => {
      const { note, ...row } = this.rows.get(key)!;
      return note === undefined ? row : { ...row, note };
    });
  }
}

export interface Subject {
  readonly name: string;
  /** One round of this subject: start it, measure, stop it. */
  readonly round: (round: number) => Promise<void>;
}

export function selected(options: ScenarioOptions, name: string): boolean {
  return options.subjects === undefined || options.subjects.some((prefix) => name.startsWith(prefix));
}

/**
 * Rounds alternate the subjects (A, B, C, A, B, C, …) so drift of the machine hits all of them.
 * A subject that fails is reported missing with the reason and left out of later rounds.
 */
export async function alternate(scenario: string, options: ScenarioOptions, collector: Collector, subjects: readonly Subject[]): Promise<void> {
  const failed = new Set<string>();
  const chosen = subjects.filter((subject) => selected(options, subject.name));
  for (let round = 0; round < options.rounds; round += 1) {
    for (const subject of chosen) {
      if (failed.has(subject.name)) continue;
      options.log?.(`${scenario}: round ${round + 1}/${options.rounds}: ${subject.name}`);
      const started = Date.now();
      try {
        await subject.round(round);
      } catch (error) {
        failed.add(subject.name);
        const reason = error instanceof Error ? error.message : String(error);
        options.log?.(`${scenario}: ${subject.name} FAILED: ${reason}`);
        collector.missing(scenario, subject.name, `failed in round ${round + 1}: ${reason.split('\n').slice(0, 6).join(' | ').slice(0, 600)}`);
      }
      options.log?.(`${scenario}: ${subject.name} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  }
}

/** Runs `body` with a started thing and always stops it. */
export async function using<T extends { stop(): Promise<void> }, R>(start: Promise<T>, body: (thing: T) => Promise<R>): Promise<R> {
  const thing = await start;
  try {
    return await body(thing);
  } finally {
    await thing.stop();
  }
}
