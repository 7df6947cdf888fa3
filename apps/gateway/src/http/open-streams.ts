import { Injectable } from '@nestjs/common';

/** Long-lived responses (SSE, followed logs) in flight, so a shutdown can end each one cleanly. */
@Injectable()
export class OpenStreams {
  readonly #controllers = new Set<AbortController>();

  open(): AbortController {
    const controller = new AbortController();
    this.#controllers.add(controller);
    controller.signal.addEventListener('abort', () => this.#controllers.delete(controller), { once: true });
    return controller;
  }

  closeAll(): void {
    for (const controller of [...this.#controllers]) controller.abort();
  }
}
