import { parseCidr, type Cidr } from './ip-address.js';
import { classifyAddress, SourcePolicy } from './source-policy.js';

const cidrs = (...texts: string[]): Cidr[] => texts.map((text) => parseCidr(text) ?? expect.unreachable(text));

const strict = new SourcePolicy({ allowLoopback: false, allowCidrs: [] });
const local = new SourcePolicy({ allowLoopback: true, allowCidrs: [] });
const cluster = new SourcePolicy({ allowLoopback: false, allowCidrs: cidrs('10.0.0.0/8', 'fd00::/8', '169.254.0.0/16', '127.0.0.0/8') });

type Row = readonly [address: string, strict: boolean, local: boolean, cluster: boolean];

describe('SourcePolicy', () => {
  it.each<Row>([
    // public
    ['93.184.216.34', true, true, true],
    ['8.8.8.8', true, true, true],
    ['2606:4700::1111', true, true, true],
    ['::ffff:8.8.8.8', true, true, true],
    ['64:ff9b::808:808', true, true, true],
    // link-local and cloud metadata: refused under every setting, even when an allowlist names them
    ['169.254.169.254', false, false, false],
    ['169.254.0.1', false, false, false],
    ['100.100.100.200', false, false, false],
    ['fd00:ec2::254', false, false, false],
    ['FD00:EC2::254', false, false, false],
    ['fe80::1', false, false, false],
    ['fe80::1%eth0', false, false, false],
    ['[fe80::1]', false, false, false],
    ['::ffff:169.254.169.254', false, false, false],
    ['::ffff:a9fe:a9fe', false, false, false],
    ['64:ff9b::a9fe:a9fe', false, false, false],
    ['2002:a9fe:a9fe::1', false, false, false],
    // other special-purpose ranges
    ['0.0.0.0', false, false, false],
    ['0.1.2.3', false, false, false],
    ['::', false, false, false],
    ['::a9fe:a9fe', false, false, false],
    ['224.0.0.1', false, false, false],
    ['239.255.255.250', false, false, false],
    ['255.255.255.255', false, false, false],
    ['240.0.0.1', false, false, false],
    ['ff02::1', false, false, false],
    ['192.0.2.10', false, false, false],
    ['198.18.0.1', false, false, false],
    ['2001:db8::1', false, false, false],
    ['2001:0:4136:e378::1', false, false, false],
    // loopback: only with FERRY_SOURCE_ALLOW_LOOPBACK, never through the CIDR allowlist
    ['127.0.0.1', false, true, false],
    ['127.255.0.9', false, true, false],
    ['::1', false, true, false],
    ['[::1]', false, true, false],
    ['::ffff:127.0.0.1', false, true, false],
    ['::ffff:7f00:1', false, true, false],
    // private ranges: only the ones FERRY_SOURCE_ALLOW_CIDRS names
    ['10.1.2.3', false, false, true],
    ['::ffff:10.1.2.3', false, false, true],
    ['172.16.0.1', false, false, false],
    ['172.31.255.255', false, false, false],
    ['192.168.1.1', false, false, false],
    ['100.64.0.1', false, false, false],
    ['fd12:3456::1', false, false, true],
    ['fc00::1', false, false, false],
    ['64:ff9b::a01:203', false, false, false],
    // just outside the private ranges
    ['172.32.0.1', true, true, true],
    ['192.169.0.1', true, true, true],
    // not an address at all
    ['localhost', false, false, false],
    ['', false, false, false],
  ])('%s → strict %s, local %s, cluster %s', (address, strictAllowed, localAllowed, clusterAllowed) => {
    expect(strict.check(address).allowed).toBe(strictAllowed);
    expect(local.check(address).allowed).toBe(localAllowed);
    expect(cluster.check(address).allowed).toBe(clusterAllowed);
  });

  it('says why an address is refused and which setting would allow it', () => {
    expect(strict.check('169.254.169.254')).toEqual({
      allowed: false,
      address: '169.254.169.254',
      why: 'is link-local / cloud metadata (169.254.0.0/16), which is always refused',
    });
    expect(strict.check('127.0.0.1')).toMatchObject({ allowed: false, why: expect.stringContaining('FERRY_SOURCE_ALLOW_LOOPBACK=true') });
    expect(strict.check('10.0.0.1')).toMatchObject({ allowed: false, why: expect.stringContaining('FERRY_SOURCE_ALLOW_CIDRS') });
  });

  it('judges an IPv4-mapped address as the IPv4 address it carries', () => {
    expect(classifyAddress('::ffff:192.168.0.1')).toEqual({
      address: { family: 'ipv4', text: '192.168.0.1' },
      class: 'private',
      name: 'private (192.168.0.0/16)',
    });
  });

  it('lets an allowlist entry narrow a private range', () => {
    const narrow = new SourcePolicy({ allowLoopback: false, allowCidrs: cidrs('192.168.10.0/24') });
    expect(narrow.check('192.168.10.7').allowed).toBe(true);
    expect(narrow.check('192.168.11.7').allowed).toBe(false);
  });
});
