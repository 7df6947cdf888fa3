// Turns Measurements into the printed table and the markdown: the median of the rounds per
// subject, and Ferry's median over each peer's. A peer row is compared with the Ferry row of the
// same durability tag (`[fsync always]` with `[fsync always]`), else with plain `ferry`.
import type { Machine } from './machine.ts';
import type { Measurement } from './measurement.ts';
import { MISSING } from './scenario.ts';
import { median, round } from './stats.ts';

export interface ReportRow {
  readonly scenario: string;
  readonly metric: string;
  readonly subject: string;
  readonly median: number | null;
  readonly samples: readonly number[];
  /** Ferry's median / this subject's median; null on Ferry's own rows and missing ones. */
  readonly ferryRatio: number | null;
  /** Whether that ratio means Ferry is better. */
  readonly ferryBetter: boolean | null;
  readonly higherIsBetter: boolean;
  readonly note: string | undefined;
}

const tagOf = (subject: string): string => /\[(.+)\]/.exec(subject)?.[1] ?? '';
const isFerry = (subject: string): boolean => subject.startsWith('ferry');

export function toRows(measurements: readonly Measurement[]): ReportRow[] {
  return measurements.map((measurement) => {
    const value = measurement.samples.length === 0 ? null : median(measurement.samples);
    const sameMetric = measurements.filter((other) => other.scenario === measurement.scenario && other.metric === measurement.metric && isFerry(other.subject));
    const reference =
      sameMetric.find((other) => tagOf(other.subject) === tagOf(measurement.subject) && tagOf(measurement.subject) !== '') ??
      sameMetric.find((other) => other.subject === 'ferry' || other.subject === 'ferry [fsync always]');
    let ferryRatio: number | null = null;
    let ferryBetter: boolean | null = null;
    if (!isFerry(measurement.subject) && value !== null && reference !== undefined && reference.samples.length > 0 && value !== 0) {
      const ferry = median(reference.samples);
      ferryRatio = ferry / value;
      ferryBetter = measurement.higherIsBetter ? ferry > value : ferry < value;
    }
    return {
      scenario: measurement.scenario,
      metric: measurement.metric,
      subject: measurement.subject,
      median: value === null ? null : round(value),
      samples: measurement.samples.map(round),
      ferryRatio: ferryRatio === null ? null : round(ferryRatio),
      ferryBetter,
      higherIsBetter: measurement.higherIsBetter,
      note: measurement.note,
    };
  });
}

function cells(row: ReportRow): string[] {
  if (row.metric === MISSING) return [row.scenario, row.subject, 'MISSING', '', '', row.note ?? ''];
  const ratio = row.ferryRatio === null ? '' : `${row.ferryRatio.toFixed(2)}× ${row.ferryBetter === true ? '(Ferry better)' : '(peer better)'}`;
  return [row.scenario, row.subject, row.metric, String(row.median), ratio, row.samples.join(' / ')];
}

const HEADER = ['scenario', 'subject', 'metric', 'median', 'Ferry / subject', 'rounds'];

export function textTable(rows: readonly ReportRow[]): string {
  const lines = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, column) => Math.max(...lines.map((line) => (column === 5 ? 0 : (line[column] ?? '').length))));
  return lines.map((line) => line.map((cell, column) => (column === 5 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd()).join('\n');
}

export function markdown(rows: readonly ReportRow[], machine: Machine, command: string, wallSeconds: number, started: string): string {
  const escape = (cell: string): string => cell.replaceAll('|', '\\|');
  const notes = [...new Map(rows.filter((row) => row.note !== undefined && row.metric !== MISSING).map((row) => [row.scenario, row.note])).entries()];
  return [
    `# Ferry bench — ${started}`,
    '',
    `\`${command}\` — ${Math.round(wallSeconds)} s wall time.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}; Node ${machine.node}, Python ${machine.python}, Redis ${machine.redis}, nats-server ${machine.natsServer}.`,
    '',
    'Medians over the rounds; "Ferry / subject" is Ferry\'s median divided by the subject\'s (for requests/s above 1 is better for Ferry, for latencies below 1).',
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${cells(row).map(escape).join(' | ')} |`),
    '',
    '## How each scenario was measured',
    '',
    ...notes.map(([scenario, note]) => `- **${scenario}**: ${note ?? ''}`),
    '',
  ].join('\n');
}
