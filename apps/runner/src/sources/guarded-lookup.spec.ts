import type { LookupAddress } from 'node:dns';
import type { LookupOptions } from 'node:dns';
import { RunnerFailure } from '../runner.failure.js';
import { guardedLookup, type Resolver } from './guarded-lookup.js';
import { SourcePolicy } from '@ferry/source-policy';

const policy = new SourcePolicy({ allowLoopback: false, allowCidrs: [] });

function resolverOf(answers: Record<string, LookupAddress[]>): Resolver {
  return (hostname, _family, callback) => {
    const addresses = answers[hostname];
    if (addresses) callback(null, addresses);
    else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
  };
}

const resolver = resolverOf({
  'public.example': [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
  'metadata.example': [{ address: '169.254.169.254', family: 4 }],
  'rebind.example': [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }],
  localhost: [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }],
});

function lookup(hostname: string, options: LookupOptions): Promise<{ error: Error | null; address: unknown; family?: number }> {
  return new Promise((resolve) =>
    guardedLookup(policy, resolver)(hostname, options, (error, address, family) => resolve({ error, address, family })),
  );
}

describe('guardedLookup', () => {
  it('hands out every address when all are allowed', async () => {
    expect(await lookup('public.example', { all: true })).toMatchObject({
      error: null,
      address: [{ address: '93.184.216.34', family: 4 }, { address: '2606:2800:220:1::1', family: 6 }],
    });
    expect(await lookup('public.example', {})).toMatchObject({ error: null, address: '93.184.216.34', family: 4 });
  });

  it.each(['metadata.example', 'rebind.example', 'localhost'])('refuses %s: one refused address is enough', async (hostname) => {
    const { error } = await lookup(hostname, { all: true });
    expect(error).toBeInstanceOf(RunnerFailure);
    expect(error).toMatchObject({ exitCode: 2, reason: 'SourceRefused', message: expect.stringContaining(`source host ${hostname} (`) });
  });

  it('passes resolver errors on for the fetcher to call transient', async () => {
    expect((await lookup('nowhere.example', { all: true })).error).toMatchObject({ code: 'ENOTFOUND' });
  });
});
