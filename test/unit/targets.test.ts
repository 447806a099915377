import { describe, expect, it } from 'vitest';
import { checkTarget, isLocalhostName, isPrivateAddress } from '../../src/webhooks/targets.js';

/** One address inside every IANA special-purpose range (IPv4 RFC 6890 registry, IPv6 registry), and some public ones. */
const BLOCKED = [
  ['0.0.0.0', 'this network'], ['0.255.1.2', 'this network'],
  ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
  ['100.64.0.1', 'carrier-grade NAT'], ['100.127.255.254', 'carrier-grade NAT'],
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['192.0.0.8', 'IETF protocol assignments'], ['192.0.2.10', 'TEST-NET-1'], ['198.51.100.7', 'TEST-NET-2'], ['203.0.113.9', 'TEST-NET-3'],
  ['192.88.99.1', '6to4 relay anycast'], ['198.18.0.1', 'benchmarking'], ['198.19.255.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['240.0.0.1', 'reserved'], ['255.255.255.255', 'broadcast'],
  ['::', 'unspecified'], ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'], ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form'], ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata'],
  ['::7f00:1', 'IPv4-compatible loopback ([::127.0.0.1] as a URL stores it)'], ['::a00:1', 'IPv4-compatible private'],
  ['::a9fe:a9fe', 'IPv4-compatible metadata'], ['::808:808', 'IPv4-compatible (deprecated) even of a public address'],
  ['::ffff:0:7f00:1', 'IPv4-translated loopback'], ['::1:0:0:1', 'reserved by IETF (::/8)'], ['4000::1', 'unassigned, outside 2000::/3'],
  ['64:ff9b::7f00:1', 'NAT64'], ['64:ff9b::808:808', 'NAT64 of a public address'], ['64:ff9b:1::1', 'local-use NAT64'],
  ['2002:7f00:1::1', '6to4'], ['2001::1', 'Teredo'], ['2001:db8::1', 'documentation'], ['3fff::1', 'documentation'],
  ['2001:2::1', 'benchmarking'], ['2001:20::1', 'ORCHIDv2'], ['100::1', 'discard-only'],
  ['fc00::1', 'unique local'], ['fd12:3456::1', 'unique local'], ['fe80::1', 'link-local'], ['fec0::1', 'site-local (deprecated)'],
  ['ff02::1', 'multicast'], ['not-an-address', 'unparseable'],
] as const;

const PUBLIC = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '100.63.255.255', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8'];

describe('private-address check', () => {
  it.each(BLOCKED)('refuses %s (%s)', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(PUBLIC)('allows %s', (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it.each(['localhost', 'LOCALHOST', 'localhost.', 'api.localhost', 'a.b.localhost.'])('%s is loopback by name', (name) => {
    expect(isLocalhostName(name)).toBe(true);
  });

  it.each(['localhost.example.com', 'mylocalhost', 'example.com'])('%s is not', (name) => {
    expect(isLocalhostName(name)).toBe(false);
  });

  it('refuses without saying which address a name resolved to', async () => {
    const err = await checkTarget('http://localhost./hook', false).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    expect(String((err as Error).message)).not.toMatch(/127\.0\.0\.1/);
    await expect(checkTarget('http://[64:ff9b::a00:1]/hook', false)).rejects.toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    await expect(checkTarget('http://127.0.0.1/hook', true)).resolves.toBeUndefined();
  });

  it.each(['http://[::127.0.0.1]/', 'http://[::a00:1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::169.254.169.254]/latest'])(
    'refuses the IPv6 literal in %s',
    async (url) => {
      await expect(checkTarget(url, false)).rejects.toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    },
  );
});
