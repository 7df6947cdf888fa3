import type { KV } from '@nats-io/kv';
import { Type } from '@sinclair/typebox';
import { decodeWith, parserFor } from '@ferry/contracts';
import { isWrongLastSequence } from './nats-errors.js';

const LeaseSchema = Type.Object({ holder: Type.String(), expiresAt: Type.Number() }, { additionalProperties: false });
const parseLease = parserFor(LeaseSchema, 'lease');
const encoder = new TextEncoder();

export interface LeaseOptions {
  readonly name: string;
  readonly holder: string;
  readonly durationMs: number;
  readonly now?: () => number;
}

/**
 * A leader lease in a KV bucket: `{holder, expiresAt}` under one key, taken and renewed with
 * compare-and-set. Whoever holds an unexpired lease leads; a holder that cannot renew (paused,
 * partitioned) must stop leading before `expiresAt`, which is why it renews at a third of the term.
 * Safety never rests on the lease alone: every job write is fenced by revision and attempt.
 */
export class LeaderLease {
  constructor(
    private readonly kv: KV,
    private readonly options: LeaseOptions,
  ) {}

  /** Takes or renews the lease; true while this holder leads. */
  async tryAcquire(): Promise<boolean> {
    const now = (this.options.now ?? Date.now)();
    const value = encoder.encode(JSON.stringify({ holder: this.options.holder, expiresAt: now + this.options.durationMs }));
    const entry = await this.kv.get(this.options.name);
    try {
      if (entry === null || entry.operation !== 'PUT') {
        await this.kv.create(this.options.name, value);
        return true;
      }
      const lease = decodeWith(parseLease, entry.value, 'lease');
      if (lease.holder !== this.options.holder && lease.expiresAt > now) return false;
      await this.kv.update(this.options.name, value, entry.revision);
      return true;
    } catch (error) {
      if (isWrongLastSequence(error)) return false;
      throw error;
    }
  }

  /** Gives the lease up at once (graceful shutdown), so a standby takes over without waiting. */
  async release(): Promise<void> {
    const entry = await this.kv.get(this.options.name);
    if (entry === null || entry.operation !== 'PUT') return;
    if (decodeWith(parseLease, entry.value, 'lease').holder !== this.options.holder) return;
    await this.kv.delete(this.options.name, { previousSeq: entry.revision }).catch(() => undefined);
  }
}
