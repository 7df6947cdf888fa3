import { LeaderElection, type Leadership } from './leader-election.js';

const TERM_MS = 15_000;

class FakeLeadership implements Leadership {
  active = false;
  readonly calls: string[] = [];
  start(): Promise<void> {
    this.active = true;
    this.calls.push('start');
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.active = false;
    this.calls.push('stop');
    return Promise.resolve();
  }
}

function election(answers: Array<boolean | Error>): { election: LeaderElection; leadership: FakeLeadership; now: { ms: number }; released: () => number } {
  const leadership = new FakeLeadership();
  const now = { ms: 0 };
  let released = 0;
  const lease = {
    tryAcquire: () => {
      const answer = answers.shift() ?? false;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    release: () => Promise.resolve(void (released += 1)),
  };
  const logger = { warn: () => undefined };
  return { election: new LeaderElection(lease, TERM_MS, leadership, logger, () => now.ms), leadership, now, released: () => released };
}

describe('LeaderElection', () => {
  it('starts what leads on winning the lease, and stops it on losing it', async () => {
    const { election: e, leadership } = election([true, true, false]);
    await e.campaign();
    await e.campaign();
    expect(leadership.calls).toEqual(['start']);
    await e.campaign();
    expect(leadership.calls).toEqual(['start', 'stop']);
  });

  it('stands by while another holds the lease', async () => {
    const { election: e, leadership } = election([false, false]);
    await e.campaign();
    await e.campaign();
    expect(leadership.calls).toEqual([]);
  });

  it('keeps leading through failed renewals until two thirds of the term have passed since the last one', async () => {
    const { election: e, leadership, now } = election([true, new Error('nats away'), new Error('nats away')]);
    await e.campaign();
    now.ms = TERM_MS * 0.65;
    await e.campaign();
    expect(leadership.active).toBe(true);
    now.ms = TERM_MS * 0.66;
    await e.campaign();
    expect(leadership.calls).toEqual(['start', 'stop']);
  });

  it('never starts on a failed renewal, and campaigns no more once stopped, giving the lease up', async () => {
    const { election: e, leadership, released } = election([new Error('nats away'), true]);
    await e.campaign();
    expect(leadership.active).toBe(false);
    await e.stop();
    await e.campaign();
    expect(leadership.calls).toEqual(['stop']);
    expect(released()).toBe(1);
  });
});
