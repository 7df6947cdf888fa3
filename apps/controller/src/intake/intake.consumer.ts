import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { ErrorCode, isFerryError, parseJobKey } from '@ferry/contracts';
import { kvStreamName, type NatsTopology } from '@ferry/nats';

export interface IntakeLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface IntakeOptions {
  readonly ackWaitMs: number;
  /** Delay before a message whose reconcile failed for a passing reason is redelivered. */
  readonly retryDelayMs: number;
}

/**
 * Reads every change of the jobs bucket from the controller's durable consumer and turns each into
 * work for `reconcile(key)`. A message is acked once a reconcile that started after it completed
 * (so a submission is acked once its execution exists), nak'd with a delay when that reconcile
 * failed for a passing reason, and terminated when it can never succeed (a malformed key or record).
 * While a reconcile takes long, the message is kept alive with `working()`.
 */
export class IntakeConsumer {
  #stopped = false;
  #messages: { stop(): void } | undefined;

  constructor(
    private readonly js: JetStreamClient,
    private readonly topology: NatsTopology,
    private readonly reconcile: (key: string) => Promise<void>,
    private readonly options: IntakeOptions,
    private readonly logger: IntakeLogger,
  ) {}

  /** Consumes until `stop()`; a broken subscription (server restart, consumer gone) is reopened. */
  async run(): Promise<void> {
    while (!this.#stopped) {
      try {
        const consumer = await this.js.consumers.get(kvStreamName(this.topology.jobsBucket), this.topology.controllerConsumer);
        const messages = await consumer.consume({ max_messages: 256 });
        this.#messages = messages;
        for await (const message of messages) this.handle(message);
      } catch (error) {
        if (!this.#stopped) this.logger.warn({ err: error }, 'intake consumer interrupted; reopening');
      }
      if (!this.#stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#messages?.stop();
  }

  private handle(message: JsMsg): void {
    const key = message.subject.slice(`$KV.${this.topology.jobsBucket}.`.length);
    if (parseJobKey(key) === undefined) {
      this.logger.error({ subject: message.subject }, 'not a job key; terminating the message');
      message.term('not a job key');
      return;
    }
    const keepAlive = setInterval(() => message.working(), Math.max(1000, this.options.ackWaitMs / 3));
    void this.reconcile(key)
      .then(
        () => message.ack(),
        (error: unknown) => {
          if (isFerryError(error, ErrorCode.MalformedMessage)) {
            this.logger.error({ job: key, err: error }, 'malformed job record; terminating the message');
            message.term(error.message);
          } else {
            message.nak(this.options.retryDelayMs);
          }
        },
      )
      .finally(() => clearInterval(keepAlive));
  }
}
