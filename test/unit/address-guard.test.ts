// The outbound guard's classification, on address STRINGS only: nothing here connects or resolves.
import { describe, expect, it } from 'vitest';
import { allowListProblems, blockedReason, isAllowed, parseAllowList, refuseConnection } from '../../pipeline/address-guard.ts';

describe('blockedReason: refused addresses', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.0.0.2', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared-cgnat'],
    ['100.127.255.255', 'shared-cgnat'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud-metadata'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['fec0::1', 'private'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    // IPv6 forms that carry an IPv4 address: judged by the IPv4 inside
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:169.254.169.254', 'cloud-metadata'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['::10.0.0.1', 'private'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::a9fe:a9fe', 'cloud-metadata'],
    ['64:ff9b:1::1', 'reserved'],
    ['2002:0a00:0001::1', 'private'],
    ['2002:c0a8:0101::', 'private'],
    ['2002:7f00:1::1', 'loopback'],
    // not an address at all
    ['example.org', 'not-an-ip'],
    ['', 'not-an-ip'],
    ['1.2.3', 'not-an-ip'],
  ])('%s → %s', (address, reason) => {
    expect(blockedReason(address)).toBe(reason);
  });
});

describe('blockedReason: public unicast passes', () => {
  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.215.14',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '172.15.255.255', // just below 172.16/12
    '172.32.0.0', // just above
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:0808:0808::1',
  ])('%s', (address) => {
    expect(blockedReason(address)).toBeUndefined();
  });
});

describe('allowlist', () => {
  const allow = parseAllowList(['feeds.internal', '*.test', '127.0.0.1', '10.1.0.0/16', 'fd00::/8']);

  it.each([
    ['feeds.internal', '10.9.9.9', true], // the hostname is exempt, whatever it resolves to
    ['FEEDS.INTERNAL.', '10.9.9.9', true],
    ['outlet.test', '127.0.0.5', true], // suffix
    ['x.example', '127.0.0.1', true], // the exact address
    ['x.example', '127.0.0.2', false], // another loopback address is not
    ['x.example', '10.1.200.3', true], // inside the CIDR
    ['x.example', '10.2.0.1', false], // outside it
    ['x.example', 'fd12::1', true],
    ['x.example', 'fe80::1', false],
    ['internal', '10.9.9.9', false], // a suffix entry does not match the bare parent
  ])('%s at %s → allowed %s', (host, address, allowed) => {
    expect(isAllowed(allow, host, address)).toBe(allowed);
    expect(refuseConnection(allow, host, address) === undefined).toBe(allowed);
  });

  it('a public address needs no allowlist', () => {
    expect(refuseConnection(parseAllowList([]), 'example.org', '93.184.215.14')).toBeUndefined();
    expect(refuseConnection(parseAllowList([]), 'example.org', '127.0.0.1')).toBe('loopback');
  });

  it('reports every bad entry', () => {
    expect(allowListProblems(['ok.test', '10.0.0.0/33', 'not a host', '1.2.3.4/x'])).toHaveLength(3);
    expect(() => parseAllowList(['10.0.0.0/99'])).toThrow(/bad prefix length/);
    expect(allowListProblems(['a.test', '::1', '10.0.0.0/8', '*.internal'])).toEqual([]);
  });
});
