import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';

export type InformerEvent = 'add' | 'update' | 'delete' | 'resync';

export interface ResourceInformerOptions<T extends KubernetesObject> {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** The collection's path, e.g. `/apis/batch/v1/namespaces/jobs/jobs`. */
  readonly path: string;
  readonly labelSelector: string;
  /** The list call for the same collection and selector (a generated client's `list…`). */
  readonly list: () => Promise<KubernetesListObject<T>>;
  readonly onEvent: (event: InformerEvent, object: T) => void;
  /** The watch failed or went silent and is restarted (for the log). */
  readonly onRestart: (reason: unknown) => void;
  /** A watch that delivered nothing at all for this long is restarted; a list is given as long. */
  readonly watchdogMs: number;
  /** First delay before restarting a failed watch; doubles per failure in a row, up to 30 s. */
  readonly restartMs: number;
  /** Every object is announced again this often, so a missed event cannot strand a job. */
  readonly resyncMs: number;
}

const MAX_RESTART_MS = 30_000;

/**
 * client-node's `ListWatch` (what `makeInformer` builds), kept alive. On its own it relists on 410
 * Gone but stops for good on any other error; this restarts it with backoff. A watchdog restarts a
 * watch that delivered nothing — no event, no bookmark (asked for) — for `watchdogMs`, and gives up
 * on a list that hangs as long. A periodic resync re-announces every cached object.
 */
export class ResourceInformer<T extends KubernetesObject> {
  readonly #watch: ActivityWatch;
  readonly #listWatch: ListWatch<T>;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #synced: Promise<void>;
  #markSynced: () => void = () => undefined;
  #isSynced = false;
  #restartTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #lastActivity = Date.now();
  #closed = false;
  readonly #options: ResourceInformerOptions<T>;

  constructor(options: ResourceInformerOptions<T>) {
    this.#options = options;
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
    // ListWatch fills its cache from a list before it opens the first watch: a watch starting means the cache is complete.
    this.#watch = new ActivityWatch(options.kubeConfig, () => this.healthy(), () => this.opened());
    this.#listWatch = new ListWatch<T>(options.path, this.#watch, () => this.listOnce(), false, options.labelSelector);
    this.#listWatch.on('add', (object) => options.onEvent('add', object));
    this.#listWatch.on('update', (object) => options.onEvent('update', object));
    this.#listWatch.on('delete', (object) => options.onEvent('delete', object));
    this.#listWatch.on('error', (error) => this.restartLater(error));
  }

  /** Resolves once the cache holds a complete list. */
  get whenSynced(): Promise<void> {
    return this.#synced;
  }

  get isSynced(): boolean {
    return this.#isSynced;
  }

  start(): void {
    this.touch();
    this.startListWatch();
    const check = Math.max(10, Math.floor(this.#options.watchdogMs / 4));
    this.#timers.push(setInterval(() => this.checkWatchdog(), check));
    this.#timers.push(setInterval(() => this.resync(), this.#options.resyncMs));
    this.#timers.forEach((timer) => timer.unref());
  }

  async stop(): Promise<void> {
    this.#closed = true;
    this.#timers.forEach((timer) => clearInterval(timer));
    clearTimeout(this.#restartTimer);
    await this.#listWatch.stop();
  }

  get(name: string): T | undefined {
    return this.#listWatch.get(name, this.#options.namespace);
  }

  list(): readonly T[] {
    return this.#listWatch.list(this.#options.namespace);
  }

  private async listOnce(): Promise<KubernetesListObject<T>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`list ${this.#options.path} took longer than ${this.#options.watchdogMs} ms`)), this.#options.watchdogMs);
    });
    try {
      const result = await Promise.race([this.#options.list(), timeout]);
      this.healthy();
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  private startListWatch(): void {
    this.#listWatch.start().catch((error: unknown) => this.restartLater(error));
  }

  private restartLater(reason: unknown): void {
    if (this.#closed || this.#restartTimer !== undefined) return;
    this.#failures += 1;
    this.#options.onRestart(reason);
    const delay = Math.min(this.#options.restartMs * 2 ** (this.#failures - 1), MAX_RESTART_MS);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#closed) return;
      this.touch();
      this.startListWatch();
    }, delay);
  }

  private checkWatchdog(): void {
    if (this.#closed || this.#restartTimer !== undefined) return;
    if (Date.now() - this.#lastActivity < this.#options.watchdogMs) return;
    this.touch();
    // Aborting the request ends the watch with an error, which restarts it (from the last resourceVersion).
    this.#watch.abortCurrent(new Error(`watch ${this.#options.path} delivered nothing for ${this.#options.watchdogMs} ms`));
  }

  private resync(): void {
    for (const object of this.#listWatch.list(this.#options.namespace)) this.#options.onEvent('resync', object);
  }

  private touch(): void {
    this.#lastActivity = Date.now();
  }

  /** Something arrived: the watch works, so the next failure starts the backoff afresh. */
  private healthy(): void {
    this.touch();
    this.#failures = 0;
  }

  private opened(): void {
    this.touch();
    if (this.#isSynced) return;
    this.#isSynced = true;
    this.#markSynced();
  }
}

/** A Watch that asks for bookmarks and reports every line that arrives and every watch it opens. */
class ActivityWatch extends Watch {
  #current: AbortController | undefined;
  readonly #onActivity: () => void;
  readonly #onOpen: () => void;

  constructor(kubeConfig: KubeConfig, onActivity: () => void, onOpen: () => void) {
    super(kubeConfig);
    this.#onActivity = onActivity;
    this.#onOpen = onOpen;
  }

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    this.#onOpen();
    let controller: AbortController;
    try {
      controller = await super.watch(
        path,
        { ...queryParams, allowWatchBookmarks: true },
        (phase, apiObj, watchObj) => {
          this.#onActivity();
          callback(phase, apiObj, watchObj);
        },
        done,
      );
    } catch (error) {
      // Credentials that fail to apply make `watch` throw, and ListWatch would lose that rejection
      // when it reconnects from a callback: report it as the watch ending, which restarts it.
      controller = new AbortController();
      setImmediate(() => done(error));
    }
    this.#current = controller;
    return controller;
  }

  abortCurrent(reason: Error): void {
    this.#current?.abort(reason);
  }
}
