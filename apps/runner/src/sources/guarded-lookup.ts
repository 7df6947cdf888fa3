import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { permanent, RunnerReason, type RunnerFailure } from '../runner.failure.js';
import type { SourcePolicy } from '@ferry/source-policy';

export type Resolver = (hostname: string, family: number | undefined, callback: (error: Error | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, family, callback) =>
  dnsLookup(hostname, { all: true, family: family ?? 0 }, (error, addresses) => callback(error, addresses));

/**
 * A `lookup` for `http.request`: the connection can only go to an address this function handed
 * out, and it hands out none unless the policy allows every address the name resolves to. The
 * decision and the connection use the same answer, so there is no DNS-rebinding gap between them.
 * (IP-literal hosts never reach a lookup; the fetcher checks those itself.)
 */
export function guardedLookup(policy: SourcePolicy, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    const family = typeof options.family === 'number' ? options.family : undefined;
    resolve(hostname, family, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const refusal = refusalOf(policy, hostname, addresses);
      if (refusal) return callback(refusal, '', 0);
      const [first] = addresses;
      if (options.all) return callback(null, addresses);
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

function refusalOf(policy: SourcePolicy, hostname: string, addresses: readonly LookupAddress[]): RunnerFailure | undefined {
  for (const { address } of addresses) {
    const verdict = policy.check(address);
    if (!verdict.allowed) return refusedConnection(hostname, verdict.address, verdict.why);
  }
  return undefined;
}

export function refusedConnection(host: string, address: string, why: string): RunnerFailure {
  const target = host === address ? address : `${host} (${address})`;
  return permanent(RunnerReason.SourceRefused, `source host ${target} refused: the address ${why}`);
}
