import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** A line longer than this is passed on in pieces rather than held in memory without bound. */
const MAX_LINE_CHARS = 1024 * 1024;

/**
 * Splits a byte stream into lines on `\n` (a `\r` stays part of its line) and hands each one on
 * unchanged, so a child's lines and the runner's own never interleave mid-line. A last line without
 * a newline is handed on at the end. Resolves when the stream ends or is destroyed.
 */
export function forwardLines(stream: Readable, emit: (line: string) => void): Promise<void> {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const take = (text: string): void => {
    pending += text;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      emit(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
    }
    while (pending.length > MAX_LINE_CHARS) {
      emit(pending.slice(0, MAX_LINE_CHARS));
      pending = pending.slice(MAX_LINE_CHARS);
    }
  };
  return new Promise((resolve) => {
    const finish = (): void => {
      take(decoder.end());
      if (pending !== '') emit(pending);
      pending = '';
      resolve();
    };
    stream.on('data', (chunk: Buffer) => take(decoder.write(chunk)));
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
}
