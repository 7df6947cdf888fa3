import { ipv4FromBytes, ipv6Bytes, parseCidr, parseIpAddress } from './ip-address.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('parseIpAddress', () => {
  it.each([
    ['10.0.0.1', { family: 'ipv4', text: '10.0.0.1' }],
    ['[::1]', { family: 'ipv6', text: '::1' }],
    ['FE80::1%eth0', { family: 'ipv6', text: 'fe80::1' }],
    ['example.com', undefined],
    ['10.0.0.256', undefined],
    ['1.2.3', undefined],
  ])('%s → %j', (input, expected) => {
    expect(parseIpAddress(input)).toEqual(expected);
  });
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    [' fd00:: / 8 ', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['fd00::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['10.0.0.0/33', undefined],
    ['fd00::/129', undefined],
    ['10.0.0.0', undefined],
    ['10.0.0.0/x', undefined],
    ['host/8', undefined],
  ])('%j → %j', (input, expected) => {
    expect(parseCidr(input)).toEqual(expected);
  });
});

describe('ipv6Bytes', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['fd00:ec2::254', 'fd000ec2000000000000000000000254'],
    ['::ffff:169.254.169.254', '00000000000000000000ffffa9fea9fe'],
    ['::ffff:a9fe:a9fe', '00000000000000000000ffffa9fea9fe'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
  ])('%s', (text, expected) => {
    expect(hex(ipv6Bytes(text))).toBe(expected);
  });

  it('reads the IPv4 address inside', () => {
    expect(ipv4FromBytes(ipv6Bytes('64:ff9b::a9fe:a9fe'), 12)).toBe('169.254.169.254');
    expect(ipv4FromBytes(ipv6Bytes('2002:a00:1::'), 2)).toBe('10.0.0.1');
  });
});
