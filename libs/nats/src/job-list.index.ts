import type { JetStreamClient, JetStreamManager, StoredMsg } from '@nats-io/jetstream';
import { tenantIndexSubject, type Job } from '@ferry/contracts';
import type { NatsTopology } from './nats.config.js';
import { isNoResults, toDomainError } from './nats-errors.js';

/** What the list index keeps of a job: what never changes after creation, so list filters can skip a record read. */
export interface JobListEntry {
  readonly id: string;
  /** Names the record this entry was written for: an entry whose record has another `createdAt` is stale. */
  readonly createdAt: string;
  readonly pipeline: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface IndexedEntry {
  /** The entry's position in the index stream: the list cursor. */
  readonly seq: number;
  readonly entry: JobListEntry;
}

export interface IndexChunk {
  /** Newest first, every one below the requested position. */
  readonly entries: IndexedEntry[];
  /** True when nothing older is left in the index. */
  readonly exhausted: boolean;
  /** Everything at or above this position was read: where a next read starts (also after an empty one). */
  readonly below: number;
}

/** Direct gets answer at most this many messages a request. */
const MAX_BATCH = 1024;
/** A window that finds nothing widens this much before the next read. */
const EMPTY_WINDOW_GROWTH = 8;
const MAX_ROUNDS = 32;
/** Tenants whose entry spacing is remembered; past it the memory starts over (a hint, not state). */
const MAX_REMEMBERED_TENANTS = 10_000;

const encoder = new TextEncoder();

/**
 * The list index: one entry per accepted job on its tenant's subject, in acceptance order, so the
 * newest jobs of a tenant are the last entries of one subject. JetStream reads a stream forward
 * only, so a page is read backward in windows: a direct batch get from `upper - span` up to
 * `upper`, the span sized from how far apart this tenant's entries were last time. A read costs
 * what the page costs — never the tenant's history — and creates nothing on the server.
 */
export class JobListIndex {
  /** Per tenant: stream positions per entry of that tenant, as last seen. */
  readonly #spacing = new Map<string, number>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly topology: NatsTopology,
  ) {}

  /** Appends the entry for a job about to be created (before its record: no record is ever unlisted). */
  async append(job: Job): Promise<void> {
    const entry: JobListEntry = { id: job.id, createdAt: job.createdAt, pipeline: job.pipeline, labels: job.labels };
    try {
      // Two creates of one idempotent job in the same millisecond would write identical entries: keep one.
      await this.js.publish(this.subject(job.tenant), encoder.encode(JSON.stringify(entry)), { msgID: `${job.id}@${job.createdAt}` });
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /**
   * At least `want` of the tenant's entries below position `before` (all of them when fewer are
   * left), newest first. `before` undefined starts at the newest entry.
   */
  async readBefore(tenant: string, before: number | undefined, want: number): Promise<IndexChunk> {
    const subject = this.subject(tenant);
    // A cursor past the newest entry (made up, or from before a reset) starts at the newest.
    const newest = (await this.newestPosition(subject)) + 1;
    let upper = Math.min(before ?? newest, newest);
    let spacing = this.#spacing.get(tenant) ?? 1;
    const found: IndexedEntry[] = [];
    for (let round = 0; round < MAX_ROUNDS && upper > 1; round += 1) {
      // Aim for a window a batch holds twice over: a batch also returns entries above the window.
      const needed = Math.min(want - found.length, MAX_BATCH / 4);
      const batch = 2 * needed + 8;
      const start = Math.max(1, upper - Math.ceil(needed * spacing * 1.25));
      const read = await this.readForward(subject, start, batch);
      const inWindow = read.filter((item) => item.seq < upper);
      if (inWindow.length === batch) {
        // The window holds more than one batch: only its oldest part came back. Narrow it and read again.
        spacing = Math.max(1, ((inWindow.at(-1)?.seq ?? start) - start + 1) / batch);
        continue;
      }
      found.push(...inWindow.reverse());
      spacing = inWindow.length === 0 ? spacing * EMPTY_WINDOW_GROWTH : Math.max(1, (upper - start) / inWindow.length);
      upper = start;
      if (found.length >= want) break;
    }
    this.remember(tenant, spacing);
    return { entries: found, exhausted: upper <= 1, below: upper };
  }

  private async newestPosition(subject: string): Promise<number> {
    try {
      const newest = await this.jsm.direct.getMessage(this.topology.listIndexStream, { last_by_subj: subject });
      return newest?.seq ?? 0;
    } catch (error) {
      throw toDomainError(error);
    }
  }

  /** Up to `batch` of the subject's entries from position `start` on, oldest first. */
  private async readForward(subject: string, start: number, batch: number): Promise<IndexedEntry[]> {
    const entries: IndexedEntry[] = [];
    try {
      const messages = await this.jsm.direct.getBatch(this.topology.listIndexStream, { seq: start, next_by_subj: subject, batch });
      for await (const message of messages) {
        const entry = parseEntry(message);
        if (entry !== undefined) entries.push({ seq: message.seq, entry });
      }
    } catch (error) {
      // Nothing at or after `start` on this subject.
      if (isNoResults(error)) return entries;
      throw toDomainError(error);
    }
    return entries;
  }

  private remember(tenant: string, spacing: number): void {
    if (this.#spacing.size >= MAX_REMEMBERED_TENANTS && !this.#spacing.has(tenant)) this.#spacing.clear();
    this.#spacing.set(tenant, spacing);
  }

  private subject(tenant: string): string {
    return tenantIndexSubject(tenant, this.topology.subjectPrefix);
  }
}

/** An entry Ferry did not write (anyone may publish on the subject) is passed over, not trusted. */
function parseEntry(message: StoredMsg): JobListEntry | undefined {
  let value: unknown;
  try {
    value = message.json();
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Partial<JobListEntry>;
  const wellFormed =
    typeof entry.id === 'string' &&
    typeof entry.createdAt === 'string' &&
    typeof entry.pipeline === 'string' &&
    typeof entry.labels === 'object' &&
    entry.labels !== null;
  return wellFormed ? (entry as JobListEntry) : undefined;
}
