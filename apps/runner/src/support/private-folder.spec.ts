import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateFolder } from './private-folder.js';

describe('PrivateFolder', () => {
  let parent: string;

  beforeEach(async () => {
    parent = await mkdtemp(join(tmpdir(), 'ferry-private-folder-'));
  });
  afterEach(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  it('is a new folder only its owner can enter, and goes away with what it holds', async () => {
    const folder = await PrivateFolder.create(parent, 'job-');
    expect(folder.path.startsWith(join(parent, 'job-'))).toBe(true);
    expect(statSync(folder.path).mode & 0o777).toBe(0o700);
    await writeFile(folder.file('result.csv'), 'x\n');
    await folder.remove();
    expect(existsSync(folder.path)).toBe(false);
  });

  it('can be removed synchronously on the stop path', async () => {
    const folder = await PrivateFolder.create(parent, 'job-');
    await writeFile(folder.file('a'), 'x');
    folder.removeSync();
    expect(existsSync(folder.path)).toBe(false);
  });
});
