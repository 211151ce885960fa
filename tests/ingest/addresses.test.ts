import { describe, expect, it } from 'vitest';
import { isPrivateHost, specialAddressKind } from '../../src/ingest/addresses.ts';

describe('which addresses are not on the public Internet', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['0.0.0.0', '"this network"'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
    ['fd12:3456::1', 'unique local (private)'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
  ])('%s is %s', (ip, kind) => {
    expect(specialAddressKind(ip)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2001:4860:4860::8888', '2606:4700::1111'])(
    '%s is public',
    (ip) => {
      expect(specialAddressKind(ip)).toBeNull();
    },
  );

  it('rejects what is not an address', () => {
    expect(() => specialAddressKind('example.org')).toThrow(/not an IP address/);
  });

  it('tells a source configured on this machine from one on the Internet (literals need no lookup)', async () => {
    expect(await isPrivateHost('127.0.0.1')).toBe(true);
    expect(await isPrivateHost('[::1]')).toBe(true);
    expect(await isPrivateHost('localhost')).toBe(true);
    expect(await isPrivateHost('8.8.8.8')).toBe(false);
    expect(await isPrivateHost('[2606:4700::1111]')).toBe(false);
  });
});
