// What the image is built from, and the key that says whether it changed: the files the Dockerfile
// copies (plus the Dockerfile, .dockerignore and the root tsconfigs), as git lists them.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, lstat, mkdir, readFile, readlink, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Git pathspecs of the build context; `:(glob)` so `*` stays within one path segment. */
export const IMAGE_INPUT_PATHSPECS = [
  'Dockerfile',
  '.dockerignore',
  'package.json',
  'package-lock.json',
  ':(glob)tsconfig*.json',
  'apps',
  'libs',
  'pipelines',
  'data/samples',
] as const;

/**
 * Tracked files plus untracked ones git does not ignore (`--others --exclude-standard`): a source
 * file created but not yet `git add`ed is part of what `docker build .` would copy, and a key that
 * skipped it would call a stale image current. Ignored files (node_modules, dist, .tsbuildinfo)
 * never count. Deleted tracked files are dropped.
 */
export async function listImageInputs(repoRoot: string): Promise<string[]> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...IMAGE_INPUT_PATHSPECS], {
    cwd: repoRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  const listed = [...new Set(stdout.split('\0').filter((path) => path !== ''))].sort();
  const present: string[] = [];
  for (const path of listed) {
    const stats = await lstat(join(repoRoot, path)).catch(() => undefined);
    if (stats !== undefined && (stats.isFile() || stats.isSymbolicLink())) present.push(path);
  }
  return present;
}

/** A line per file: path, kind (executable, plain or link) and the content's (or target's) sha256. */
async function describeInput(repoRoot: string, path: string): Promise<string> {
  const absolute = join(repoRoot, path);
  const stats = await lstat(absolute);
  if (stats.isSymbolicLink()) return `${path}\0link\0${await readlink(absolute)}`;
  const kind = (stats.mode & 0o111) === 0 ? 'file' : 'exec';
  return `${path}\0${kind}\0${sha256(await readFile(absolute))}`;
}

/** sha256 over every input's description and the extra strings (base image key, image name …). */
export async function hashImageInputs(repoRoot: string, files: readonly string[], extra: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const part of extra) hash.update(`${part}\n`);
  for (const path of files) hash.update(`${await describeInput(repoRoot, path)}\n`);
  return hash.digest('hex');
}

/**
 * Copies exactly the hashed files into `contextDir`, so the image is built from what the key
 * describes and not from whatever else lies in the checkout (the Dockerfile's .dockerignore still
 * applies on top, as with `docker build .`).
 */
export async function stageBuildContext(repoRoot: string, files: readonly string[], contextDir: string): Promise<void> {
  for (const path of files) {
    const source = join(repoRoot, path);
    const target = join(contextDir, path);
    await mkdir(dirname(target), { recursive: true });
    const stats = await lstat(source);
    if (stats.isSymbolicLink()) await symlink(await readlink(source), target);
    else await copyFile(source, target);
  }
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
