import { EventEmitter } from 'node:events';
import { Lifecycle } from './lifecycle.js';
import type { RunnerOutput } from './runner.output.js';

class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  exit = ((code: number) => {
    this.exits.push(code);
  }) as (code: number) => never;
}

class FakeInput extends EventEmitter {
  resumed = false;
  resume(): this {
    this.resumed = true;
    return this;
  }
}

const output: RunnerOutput = { log: () => undefined, warn: () => undefined, progress: () => undefined, error: () => undefined };

describe('Lifecycle', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('on %s aborts, runs the stop hooks, then exits 143', async (signal) => {
    const process = new FakeProcess();
    const lifecycle = new Lifecycle(output, process);
    lifecycle.watchSignals();
    const order: string[] = [];
    lifecycle.onStop(async () => {
      order.push(`hook (aborted: ${lifecycle.signal.aborted})`);
      await Promise.resolve();
    });
    const removed = lifecycle.onStop(() => void order.push('unregistered hook'));
    removed();
    process.emit(signal);
    await vi.waitFor(() => expect(process.exits).toEqual([143]));
    expect(order).toEqual(['hook (aborted: true)']);
  });

  it('treats the end of stdin as a stop when watching it', async () => {
    const process = new FakeProcess();
    const input = new FakeInput();
    const lifecycle = new Lifecycle(output, process);
    lifecycle.watchInput(input);
    expect(input.resumed).toBe(true);
    input.emit('end');
    input.emit('close');
    await vi.waitFor(() => expect(process.exits).toEqual([143]));
  });

  it('ignores the pipeline outcome once stopping, and exits with it otherwise', async () => {
    const process = new FakeProcess();
    const lifecycle = new Lifecycle(output, process);
    lifecycle.finish(0);
    await vi.waitFor(() => expect(process.exits).toEqual([0]));
    const stopping = lifecycle.stop('SIGTERM');
    lifecycle.finish(75);
    await stopping;
    expect(process.exits).toEqual([0, 143]);
  });

  it('lets an end of stdin that comes before the exit turn win over the outcome', async () => {
    const process = new FakeProcess();
    const input = new FakeInput();
    const lifecycle = new Lifecycle(output, process);
    lifecycle.watchInput(input);
    lifecycle.finish(0);
    input.emit('end');
    await vi.waitFor(() => expect(process.exits).toEqual([143]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(process.exits).toEqual([143]);
  });

  it('still exits 143 when a stop hook fails', async () => {
    const process = new FakeProcess();
    const warnings: string[] = [];
    const lifecycle = new Lifecycle({ ...output, warn: (line) => warnings.push(line) }, process);
    lifecycle.onStop(() => {
      throw new Error('rm failed');
    });
    await lifecycle.stop('SIGINT');
    expect(process.exits).toEqual([143]);
    expect(warnings).toContain('runner: cleanup failed: rm failed');
  });
});
