import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/** Nest's log calls, sent to the same pino logger Fastify uses: one JSON log stream per process. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info(this.fields(context), String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ ...this.fields(context), ...(trace === undefined ? {} : { trace }) }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.logger.warn(this.fields(context), String(message));
  }

  debug(message: unknown, context?: string): void {
    this.logger.debug(this.fields(context), String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.logger.trace(this.fields(context), String(message));
  }

  private fields(context: string | undefined): object {
    return context === undefined ? {} : { context };
  }
}
