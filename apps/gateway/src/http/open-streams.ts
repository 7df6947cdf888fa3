import { ErrorCode, FerryError } from '@ferry/contracts';

export interface StreamLimits {
  /** Open streams (SSE, logs) one tenant may hold on one gateway replica. */
  readonly perTenant: number;
  /** Open streams on one gateway replica, all tenants together. */
  readonly perReplica: number;
}

/** How long a client refused a stream waits before trying again. */
const STREAM_RETRY_AFTER_SECONDS = 5;

/**
 * Long-lived responses (SSE, logs) in flight: capped per tenant and per replica, so one tenant
 * cannot hold every socket and buffer of a replica, and each ended cleanly on shutdown.
 */
export class OpenStreams {
  readonly #controllers = new Set<AbortController>();
  readonly #perTenant = new Map<string, number>();

  constructor(private readonly limits: StreamLimits) {}

  /** Opens a stream for the tenant; a 429 problem past either limit. Aborting the controller closes it. */
  open(tenant: string): AbortController {
    const held = this.#perTenant.get(tenant) ?? 0;
    if (held >= this.limits.perTenant) throw tooMany(`at most ${this.limits.perTenant} open streams per tenant`);
    if (this.#controllers.size >= this.limits.perReplica) throw tooMany(`this replica serves at most ${this.limits.perReplica} open streams`);
    const controller = new AbortController();
    this.#controllers.add(controller);
    this.#perTenant.set(tenant, held + 1);
    controller.signal.addEventListener(
      'abort',
      () => {
        this.#controllers.delete(controller);
        const left = (this.#perTenant.get(tenant) ?? 1) - 1;
        if (left === 0) this.#perTenant.delete(tenant);
        else this.#perTenant.set(tenant, left);
      },
      { once: true },
    );
    return controller;
  }

  closeAll(): void {
    for (const controller of [...this.#controllers]) controller.abort();
  }
}

function tooMany(limit: string): FerryError {
  return new FerryError(ErrorCode.RateLimited, `too many open streams: ${limit}; close one or retry later`, {
    retryAfterSeconds: STREAM_RETRY_AFTER_SECONDS,
  });
}
