// The base image the Dockerfile names (`ARG NODE_IMAGE=node:24-bookworm-slim`), read from the
// Dockerfile itself so the local base is tagged exactly as `FROM ${NODE_IMAGE}` resolves it.

export interface BaseReference {
  /** As the Dockerfile writes it: `node:24-bookworm-slim`. */
  readonly short: string;
  /** As image stores name it: `docker.io/library/node:24-bookworm-slim`. */
  readonly full: string;
  /** The Node major the tag promises (`24`). */
  readonly nodeMajor: number;
  /** The Debian suite the tag promises (`bookworm`). */
  readonly debianSuite: string;
}

const NODE_IMAGE_ARG = /^ARG\s+NODE_IMAGE=(\S+)\s*$/m;
/** The official image's tags this script knows how to make: `<major>-<suite>-slim`. */
const SLIM_TAG = /^(\d+)-([a-z]+)-slim$/;

/**
 * Normalises like Docker: a first component without `.`, `:` or `localhost` is not a registry
 * (`node` → `docker.io/library/node`), a missing tag is `latest`.
 */
export function normaliseReference(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash === -1 ? '' : reference.slice(0, slash);
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost';
  let named = hasRegistry ? reference : `docker.io/${reference}`;
  if (!hasRegistry && slash === -1) named = `docker.io/library/${reference}`;
  const lastSegment = named.slice(named.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || lastSegment.includes('@') ? named : `${named}:latest`;
}

/** Reads NODE_IMAGE's default from the Dockerfile; fails on a base this script cannot make. */
export function parseBaseReference(dockerfile: string): BaseReference {
  const short = NODE_IMAGE_ARG.exec(dockerfile)?.[1];
  if (short === undefined) throw new Error('the Dockerfile has no `ARG NODE_IMAGE=<image>` line naming its base image');
  const full = normaliseReference(short);
  const [repository, tag = ''] = full.split(/:(?=[^:/]+$)/);
  const slim = SLIM_TAG.exec(tag);
  if (repository !== 'docker.io/library/node' || slim === null) {
    throw new Error(`the Dockerfile's base is ${short}; image:build can only make the official node:<major>-<suite>-slim images`);
  }
  return { short, full, nodeMajor: Number(slim[1]), debianSuite: slim[2] ?? '' };
}
