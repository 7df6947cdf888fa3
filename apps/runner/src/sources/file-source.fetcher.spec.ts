import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { copyFileSource, isBelow } from './file-source.fetcher.js';

describe('isBelow', () => {
  it.each([
    ['/data', '/data/a.csv', true],
    ['/data', '/data/sub/a.csv', true],
    ['/data', '/data', false],
    ['/data', '/data2/a.csv', false],
    ['/data', '/etc/passwd', false],
    ['/data', '/data/../etc/passwd', false],
    ['/data', '/data/..a.csv', true],
  ])('%s contains %s: %s', (root, path, expected) => {
    expect(isBelow(root, path)).toBe(expected);
  });
});

describe('copyFileSource', () => {
  let base: string;
  let data: string;
  let out: string;
  const signal = new AbortController().signal;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'ferry-file-source-'));
    data = join(base, 'data');
    out = join(base, 'out');
    await mkdir(join(data, 'sub'), { recursive: true });
    await mkdir(out);
    await writeFile(join(data, 'sub', 'a.csv'), 'x\n1\n');
    await writeFile(join(base, 'secret.csv'), 'secret\n');
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const copy = (url: URL | string, options: { dataDir?: string; maxBytes?: number } = {}) =>
    copyFileSource(new URL(url), join(out, 'copy'), { dataDir: 'dataDir' in options ? options.dataDir : data, maxBytes: options.maxBytes ?? 1000, signal });

  it('copies a file below the data folder', async () => {
    expect(await copy(pathToFileURL(join(data, 'sub', 'a.csv')))).toBe(4);
    expect(await readFile(join(out, 'copy'), 'utf8')).toBe('x\n1\n');
  });

  it('refuses everything when FERRY_DATA_DIR is unset', async () => {
    await expect(copy(pathToFileURL(join(data, 'sub', 'a.csv')), { dataDir: undefined })).rejects.toMatchObject({
      exitCode: 2,
      reason: 'SourceRefused',
      message: expect.stringContaining('FERRY_DATA_DIR is not set'),
    });
  });

  it('refuses a path that climbs out with ..', async () => {
    await expect(copy(`file://${data}/sub/../../secret.csv`)).rejects.toMatchObject({ reason: 'SourceRefused' });
    await expect(copy(`file://${data}/%2e%2e/secret.csv`)).rejects.toMatchObject({ reason: 'SourceRefused' });
  });

  it('refuses a symlink that points out of the data folder', async () => {
    await symlink(join(base, 'secret.csv'), join(data, 'link.csv'));
    await symlink(base, join(data, 'up'));
    await expect(copy(pathToFileURL(join(data, 'link.csv')))).rejects.toMatchObject({ reason: 'SourceRefused' });
    await expect(copy(pathToFileURL(join(data, 'up', 'secret.csv')))).rejects.toMatchObject({ reason: 'SourceRefused' });
  });

  it('follows a symlink that stays inside', async () => {
    await symlink(join(data, 'sub', 'a.csv'), join(data, 'inside.csv'));
    expect(await copy(pathToFileURL(join(data, 'inside.csv')))).toBe(4);
  });

  it('refuses a remote host, a folder, a missing file and a file over the cap', async () => {
    await expect(copy('file://fileserver/share/a.csv')).rejects.toMatchObject({ reason: 'SourceRefused' });
    await expect(copy(pathToFileURL(join(data, 'sub')))).rejects.toMatchObject({ reason: 'SourceUnavailable' });
    await expect(copy(pathToFileURL(join(data, 'missing.csv')))).rejects.toMatchObject({ reason: 'SourceUnavailable' });
    await expect(copy(pathToFileURL(join(data, 'sub', 'a.csv')), { maxBytes: 3 })).rejects.toMatchObject({ reason: 'SourceTooLarge' });
  });
});
