import { PassThrough } from 'node:stream';
import { forwardLines } from './line-forwarder.js';

describe('forwardLines', () => {
  it('hands on whole lines unchanged, however the bytes are chunked', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const done = forwardLines(stream, (line) => lines.push(line));
    stream.write('hel');
    stream.write('lo\n::ferry:progress {"percent":5');
    stream.write('0}\nwith cr\r\n\n');
    stream.write(Buffer.from('é', 'utf8').subarray(0, 1));
    stream.write(Buffer.concat([Buffer.from('é', 'utf8').subarray(1), Buffer.from('\nlast without newline')]));
    stream.end();
    await done;
    expect(lines).toEqual(['hello', '::ferry:progress {"percent":50}', 'with cr\r', '', 'é', 'last without newline']);
  });

  it('resolves when the stream is destroyed', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const done = forwardLines(stream, (line) => lines.push(line));
    stream.write('partial');
    stream.destroy();
    await done;
    expect(lines).toEqual(['partial']);
  });
});
