import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes a chunk and, when the buffer is full, waits for `drain` — or for `signal`, which the
 * route aborts when the client goes away: a socket that closes never drains, and a wait for it
 * alone would keep the route (and what it holds on NATS) alive for the life of the process.
 * Resolves false when the stream should end.
 */
export async function writeOrStop(stream: Writable, chunk: string, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted || stream.destroyed) return false;
  if (stream.write(chunk)) return true;
  try {
    await once(stream, 'drain', { signal });
    return true;
  } catch {
    return false; // aborted: the client went away or the gateway is shutting down
  }
}
