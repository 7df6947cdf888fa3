import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { ClosedConnectionError, ConnectionError, DrainingConnectionError, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { ErrorCode, FerryError } from '@ferry/contracts';

/** How long a caller should wait before retrying while NATS is unreachable. */
export const NATS_RETRY_AFTER_SECONDS = 2;

/** A compare-and-set or create-only write lost its race: the key moved, or already exists. */
export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

/** A stream info or update named a stream the server does not have. */
export function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

/** A direct get found no message for what it asked: a 404 status, not a failure. */
export function isNoResults(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 404;
}

/** NATS did not answer (down, reconnecting, JetStream not ready): the write may or may not have landed. */
export function isNatsUnavailable(error: unknown): boolean {
  if (
    error instanceof TimeoutError ||
    error instanceof NoRespondersError ||
    error instanceof ClosedConnectionError ||
    error instanceof DrainingConnectionError ||
    error instanceof ConnectionError
  ) {
    return true;
  }
  if (error instanceof RequestError) return true;
  if (error instanceof JetStreamApiError) return error.status === 503;
  return error instanceof Error && error.cause !== undefined && isNatsUnavailable(error.cause);
}

/** nats-server's "insufficient resources" (10023) and "insufficient storage resources available" (10047). */
const NO_ROOM_CODES = new Set([10023, 10047]);

/** How long a caller should wait before retrying a write a full store refused. */
export const STORE_FULL_RETRY_AFTER_SECONDS = 60;

/**
 * A stream or bucket refused a write for want of room: its `max_bytes` (or the server's storage
 * limit) is reached. The server sends it as a 503 store failure (err_code 10077, with the limit in
 * the description) or as "insufficient resources"; it is not an outage, and a retry soon fails too.
 */
export function isStoreFull(error: unknown): boolean {
  if (!(error instanceof JetStreamApiError)) return error instanceof Error && error.cause !== undefined && isStoreFull(error.cause);
  return NO_ROOM_CODES.has(error.code) || /maximum (bytes|messages) exceeded/i.test(error.message);
}

/**
 * Turns a NATS failure into the domain's `storage_full` or `unavailable`; anything else passes
 * through untouched.
 */
export function toDomainError(error: unknown): unknown {
  if (error instanceof FerryError) return error;
  if (isStoreFull(error)) {
    return new FerryError(ErrorCode.StorageFull, 'Ferry\'s store has no room for this write (a stream reached its size bound); an operator must raise FERRY_NATS_STORE_BYTES or let retention free space', {
      retryAfterSeconds: STORE_FULL_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  if (isNatsUnavailable(error)) {
    return new FerryError(ErrorCode.Unavailable, 'the job store (NATS JetStream) is unavailable; retry shortly', {
      retryAfterSeconds: NATS_RETRY_AFTER_SECONDS,
      cause: error,
    });
  }
  return error;
}
