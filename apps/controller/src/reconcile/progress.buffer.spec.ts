import { ProgressBuffer } from './progress.buffer.js';

function buffer(): { progress: ProgressBuffer; asked: Array<[string, number]> } {
  const asked: Array<[string, number]> = [];
  return { progress: new ProgressBuffer({ addAfter: (key, ms) => asked.push([key, ms]) }, 1000), asked };
}

describe('ProgressBuffer', () => {
  it('keeps the latest report and asks for one reconcile per interval, however many reports come', () => {
    const { progress, asked } = buffer();
    for (let percent = 1; percent <= 50; percent += 1) progress.report('acme', 'j1', 1, { percent });
    expect(asked).toEqual([['acme.j1', 1000]]);
    expect(progress.take('acme.j1')).toEqual({ attempt: 1, progress: { percent: 50 } });
    expect(progress.take('acme.j1')).toBeUndefined();
  });

  it('asks again for the first report after a take', () => {
    const { progress, asked } = buffer();
    progress.report('acme', 'j1', 1, { percent: 1 });
    progress.take('acme.j1');
    progress.report('acme', 'j1', 1, { percent: 2 });
    expect(asked).toEqual([['acme.j1', 1000], ['acme.j1', 1000]]);
  });

  it('keeps jobs apart', () => {
    const { progress, asked } = buffer();
    progress.report('acme', 'j1', 1, { percent: 1 });
    progress.report('acme', 'j2', 3, { percent: 2 });
    expect(asked.map(([key]) => key)).toEqual(['acme.j1', 'acme.j2']);
    expect(progress.take('acme.j2')).toEqual({ attempt: 3, progress: { percent: 2 } });
  });

  it('takes back progress whose write lost a race, but never over a newer report', () => {
    const { progress } = buffer();
    progress.report('acme', 'j1', 1, { percent: 10 });
    const taken = progress.take('acme.j1');
    if (taken === undefined) throw new Error('nothing pending');
    progress.restore('acme.j1', taken);
    expect(progress.take('acme.j1')).toEqual(taken);

    progress.report('acme', 'j1', 1, { percent: 20 });
    const older = progress.take('acme.j1');
    progress.report('acme', 'j1', 1, { percent: 30 });
    if (older !== undefined) progress.restore('acme.j1', older);
    expect(progress.take('acme.j1')?.progress).toEqual({ percent: 30 });
  });
});
