import type { LeaderLease } from '@ferry/nats';

/** The lease is renewed this often, as a share of its term. */
const RENEW_SHARE = 1 / 3;
/**
 * A leader that cannot renew (NATS unreachable) steps down once this share of the term has passed
 * since its last renewal: before the term ends, so a standby that takes over never runs beside a
 * leader that still thinks it leads.
 */
const STEP_DOWN_SHARE = 0.66;

/** What leads: started on winning the lease, stopped on losing it. */
export interface Leadership {
  readonly active: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface ElectionLogger {
  warn(fields: object, message: string): void;
  warn(message: string): void;
}

/**
 * One controller leads at a time: campaign for the lease, renew it at a third of its term, start
 * the runtime on winning and stop it on losing (or on failing to renew for two thirds of the term).
 */
export class LeaderElection {
  #lastRenewed = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly lease: Pick<LeaderLease, 'tryAcquire' | 'release'>,
    private readonly termMs: number,
    private readonly leadership: Leadership,
    private readonly logger: ElectionLogger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Campaigns once now (a failure to start what leads is thrown), then at every renewal interval (logged). */
  async start(): Promise<void> {
    await this.campaign();
    this.#timer = setInterval(() => void this.campaign().catch((error: unknown) => this.logger.warn({ err: error }, 'campaign failed')), this.termMs * RENEW_SHARE);
  }

  /** One campaign: acquire or renew the lease, then start or stop what leads to match. */
  async campaign(): Promise<void> {
    if (this.#stopped) return;
    let leading: boolean;
    try {
      leading = await this.lease.tryAcquire();
      if (leading) this.#lastRenewed = this.clock();
    } catch (error) {
      leading = this.leadership.active && this.clock() - this.#lastRenewed < this.termMs * STEP_DOWN_SHARE;
      this.logger.warn({ err: error }, 'lease renewal failed');
    }
    if (leading && !this.leadership.active && !this.#stopped) await this.leadership.start();
    if (!leading && this.leadership.active) {
      this.logger.warn('lost the controller lease: stopping');
      await this.leadership.stop();
    }
  }

  /** Stops campaigning, stops what leads and gives the lease up (shutdown). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.leadership.stop();
    await this.lease.release();
  }
}
