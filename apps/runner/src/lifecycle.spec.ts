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

  it('runs the exit hook with the code and the error report right before an exit by verdict, never on a stop', async () => {
    const process = new FakeProcess();
    const hooked: Array<[number, unknown, number]> = [];
    const lifecycle = new Lifecycle(output, process);
    lifecycle.onExit((code, error) => hooked.push([code, error, process.exits.length]));
    lifecycle.finish(2, { reason: 'SourceRefused', message: 'refused' });
    await vi.waitFor(() => expect(process.exits).toEqual([2]));
    expect(hooked).toEqual([[2, { reason: 'SourceRefused', message: 'refused' }, 0]]);

    const stopped = new FakeProcess();
    const input = new FakeInput();
    const stopping = new Lifecycle(output, stopped);
    stopping.onExit(() => hooked.push([-1, undefined, 0]));
    stopping.watchInput(input);
    stopping.finish(0);
    input.emit('end');
    await vi.waitFor(() => expect(stopped.exits).toEqual([143]));
    expect(hooked).toHaveLength(1);
  });

  it('exits with the verdict even when the exit hook throws', async () => {
    const process = new FakeProcess();
    const warnings: string[] = [];
    const lifecycle = new Lifecycle({ ...output, warn: (line) => warnings.push(line) }, process);
    lifecycle.onExit(() => {
      throw new Error('disk full');
    });
    lifecycle.finish(0);
    await vi.waitFor(() => expect(process.exits).toEqual([0]));
    expect(warnings).toContain('runner: exit hook failed: disk full');
  });
});
