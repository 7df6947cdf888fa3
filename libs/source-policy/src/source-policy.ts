import { BlockList } from 'node:net';
import { ipv4FromBytes, ipv6Bytes, parseCidr, parseIpAddress, type Cidr, type IpAddress } from './ip-address.js';

/**
 * What a source address is (docs/architecture.md §3, "Source policy"):
 *  - `refused`: never a source, whatever the settings — link-local and cloud metadata first of all;
 *  - `loopback`: only with FERRY_SOURCE_ALLOW_LOOPBACK (the local default);
 *  - `private`: RFC 1918, shared (CGNAT) and ULA ranges, only where FERRY_SOURCE_ALLOW_CIDRS names them;
 *  - `public`: everything else.
 */
export type AddressClass = 'refused' | 'loopback' | 'private' | 'public';

interface Rule {
  readonly cidr: string;
  readonly class: Exclude<AddressClass, 'public'>;
  readonly name: string;
}

/** First match wins, so a narrower rule sits above the wider one it carves out of. */
const IPV4_RULES: readonly Rule[] = [
  { cidr: '0.0.0.0/8', class: 'refused', name: '"this network" (0.0.0.0/8)' },
  { cidr: '169.254.0.0/16', class: 'refused', name: 'link-local / cloud metadata (169.254.0.0/16)' },
  { cidr: '100.100.100.200/32', class: 'refused', name: 'cloud metadata (100.100.100.200)' },
  { cidr: '192.0.0.0/24', class: 'refused', name: 'IETF protocol assignments (192.0.0.0/24)' },
  { cidr: '192.0.2.0/24', class: 'refused', name: 'documentation (192.0.2.0/24)' },
  { cidr: '198.51.100.0/24', class: 'refused', name: 'documentation (198.51.100.0/24)' },
  { cidr: '203.0.113.0/24', class: 'refused', name: 'documentation (203.0.113.0/24)' },
  { cidr: '198.18.0.0/15', class: 'refused', name: 'benchmarking (198.18.0.0/15)' },
  { cidr: '224.0.0.0/4', class: 'refused', name: 'multicast (224.0.0.0/4)' },
  { cidr: '240.0.0.0/4', class: 'refused', name: 'reserved / broadcast (240.0.0.0/4)' },
  { cidr: '127.0.0.0/8', class: 'loopback', name: 'loopback (127.0.0.0/8)' },
  { cidr: '10.0.0.0/8', class: 'private', name: 'private (10.0.0.0/8)' },
  { cidr: '172.16.0.0/12', class: 'private', name: 'private (172.16.0.0/12)' },
  { cidr: '192.168.0.0/16', class: 'private', name: 'private (192.168.0.0/16)' },
  { cidr: '100.64.0.0/10', class: 'private', name: 'shared address space (100.64.0.0/10)' },
];

const IPV6_RULES: readonly Rule[] = [
  { cidr: '::/128', class: 'refused', name: 'unspecified (::)' },
  { cidr: '::1/128', class: 'loopback', name: 'loopback (::1)' },
  { cidr: '::/96', class: 'refused', name: 'IPv4-compatible (::/96, deprecated)' },
  { cidr: 'fe80::/10', class: 'refused', name: 'link-local (fe80::/10)' },
  { cidr: 'fec0::/10', class: 'refused', name: 'site-local (fec0::/10, deprecated)' },
  { cidr: 'ff00::/8', class: 'refused', name: 'multicast (ff00::/8)' },
  { cidr: 'fd00:ec2::254/128', class: 'refused', name: 'cloud metadata (fd00:ec2::254)' },
  { cidr: '100::/64', class: 'refused', name: 'discard-only (100::/64)' },
  { cidr: '2001:db8::/32', class: 'refused', name: 'documentation (2001:db8::/32)' },
  { cidr: '2001::/32', class: 'refused', name: 'Teredo (2001::/32)' },
  { cidr: '64:ff9b:1::/48', class: 'private', name: 'local-use NAT64 (64:ff9b:1::/48)' },
  { cidr: 'fc00::/7', class: 'private', name: 'unique local (fc00::/7)' },
];

/** IPv6 forms that carry an IPv4 address: the IPv4 one decides (a NAT64 gateway would reach it). */
const EMBEDDING: readonly { readonly cidr: string; readonly offset: number; readonly name: string }[] = [
  { cidr: '::ffff:0:0/96', offset: 12, name: 'IPv4-mapped' },
  { cidr: '64:ff9b::/96', offset: 12, name: 'NAT64' },
  { cidr: '2002::/16', offset: 2, name: '6to4' },
];

function listOf(cidrs: readonly (Cidr | undefined)[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) if (cidr) list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  return list;
}

interface CompiledRule extends Rule {
  readonly list: BlockList;
}

const compile = (rules: readonly Rule[]): readonly CompiledRule[] =>
  rules.map((rule) => ({ ...rule, list: listOf([parseCidr(rule.cidr)]) }));
const COMPILED = { ipv4: compile(IPV4_RULES), ipv6: compile(IPV6_RULES) } as const;
const COMPILED_EMBEDDING = EMBEDDING.map((form) => ({ ...form, list: listOf([parseCidr(form.cidr)]) }));

export interface AddressClassification {
  /** The address the decision is about: an IPv4-mapped address is judged as its IPv4 address. */
  readonly address: IpAddress;
  readonly class: AddressClass;
  readonly name: string;
}

/** Classifies an IP address literal; undefined when it is not one. */
export function classifyAddress(input: string): AddressClassification | undefined {
  const address = parseIpAddress(input);
  if (!address) return undefined;
  if (address.family === 'ipv6') {
    const form = COMPILED_EMBEDDING.find((candidate) => candidate.list.check(address.text, 'ipv6'));
    if (form) {
      const ipv4 = ipv4FromBytes(ipv6Bytes(address.text), form.offset);
      const inner = classifyAddress(ipv4);
      if (form.name === 'IPv4-mapped' && inner) return inner;
      if (inner && inner.class !== 'public') {
        return { address, class: 'refused', name: `${form.name} address of ${ipv4}, ${inner.name}` };
      }
    }
  }
  const rule = COMPILED[address.family].find((candidate) => candidate.list.check(address.text, address.family));
  return rule ? { address, class: rule.class, name: rule.name } : { address, class: 'public', name: 'public' };
}

export interface SourcePolicyOptions {
  readonly allowLoopback: boolean;
  /** Private ranges sources may use; they cannot unlock a `refused` or a loopback address. */
  readonly allowCidrs: readonly Cidr[];
}

export type AddressVerdict =
  | { readonly allowed: true; readonly address: string }
  | { readonly allowed: false; readonly address: string; readonly why: string };

/** Decides, for the address of every connection to a source, whether the runner may make it. */
export class SourcePolicy {
  readonly #allowLoopback: boolean;
  readonly #allowList: BlockList;

  constructor(options: SourcePolicyOptions) {
    this.#allowLoopback = options.allowLoopback;
    this.#allowList = listOf(options.allowCidrs);
  }

  check(input: string): AddressVerdict {
    const classification = classifyAddress(input);
    if (!classification) return { allowed: false, address: input, why: 'is not an IP address' };
    const { address } = classification;
    switch (classification.class) {
      case 'public':
        return { allowed: true, address: address.text };
      case 'refused':
        return { allowed: false, address: address.text, why: `is ${classification.name}, which is always refused` };
      case 'loopback':
        return this.#allowLoopback
          ? { allowed: true, address: address.text }
          : { allowed: false, address: address.text, why: `is ${classification.name}, refused unless FERRY_SOURCE_ALLOW_LOOPBACK=true` };
      case 'private':
        return this.#allowList.check(address.text, address.family)
          ? { allowed: true, address: address.text }
          : { allowed: false, address: address.text, why: `is ${classification.name}, refused unless FERRY_SOURCE_ALLOW_CIDRS names it` };
    }
  }
}
