import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

export interface IpAddress {
  readonly family: IpFamily;
  readonly text: string;
}

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: IpFamily;
}

/**
 * Reads an address literal as it appears in a URL host or a resolver answer: brackets and an IPv6
 * zone (`fe80::1%eth0`) are dropped. Undefined for anything that is not an IP address.
 */
export function parseIpAddress(input: string): IpAddress | undefined {
  let text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = text.indexOf('%');
  if (zone >= 0 && text.includes(':')) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 'ipv4', text };
  if (isIPv6(text)) return { family: 'ipv6', text: text.toLowerCase() };
  return undefined;
}

/** `10.0.0.0/8`, `fd00::/8`; undefined unless both parts are valid. */
export function parseCidr(input: string): Cidr | undefined {
  const slash = input.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIpAddress(input.slice(0, slash).trim());
  const prefixText = input.slice(slash + 1).trim();
  if (!address || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > (address.family === 'ipv4' ? 32 : 128)) return undefined;
  return { address: address.text, prefix, family: address.family };
}

/** The 16 bytes of an IPv6 address (the caller has checked it is one), embedded dotted quad included. */
export function ipv6Bytes(text: string): Uint8Array {
  const hexOnly = text.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_match, a: string, b: string, c: string, d: string) =>
    [Number(a) * 256 + Number(b), Number(c) * 256 + Number(d)].map((group) => group.toString(16)).join(':'),
  );
  const [head = '', tail] = hexOnly.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const bytes = new Uint8Array(16);
  [...headGroups, ...zeros, ...tailGroups].forEach((group, index) => {
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

export function ipv4FromBytes(bytes: Uint8Array, offset: number): string {
  return [0, 1, 2, 3].map((index) => bytes[offset + index] ?? 0).join('.');
}
