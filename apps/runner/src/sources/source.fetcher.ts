import { copyFileSource } from './file-source.fetcher.js';
import { fetchHttpSource } from './http-source.fetcher.js';
import type { SourcePolicy } from '@ferry/source-policy';

export interface SourceFetchOptions {
  readonly policy: SourcePolicy;
  readonly dataDir: string | undefined;
  /** What is left of FERRY_SOURCE_MAX_BYTES for this source. */
  readonly maxBytes: number;
  readonly signal: AbortSignal;
}

export interface FetchedSource {
  readonly bytes: number;
  readonly redirects: number;
}

/** Brings one source into the job's temp folder, from http(s) or (local mode) the data folder. */
export async function fetchSource(url: URL, destination: string, options: SourceFetchOptions): Promise<FetchedSource> {
  if (url.protocol === 'file:') {
    return { bytes: await copyFileSource(url, destination, options), redirects: 0 };
  }
  return fetchHttpSource(url, destination, options);
}
