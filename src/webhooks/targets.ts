import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors.js';

/**
 * Addresses a webhook must not reach unless STOCKHOOK_ALLOW_PRIVATE_TARGETS=1: loopback, private,
 * carrier-grade NAT, link-local (cloud metadata lives at 169.254.169.254), unspecified, multicast.
 */
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    // IPv4-mapped IPv6 (::ffff:127.0.0.1) reaches the IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export class BlockedTargetError extends Error {
  readonly code = 'TARGET_BLOCKED';
}

/** The host of a URL without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/**
 * Refuses a URL whose host is, or resolves to, a private address. A name that does not resolve
 * right now is allowed at creation (DNS may be down); the send-time check catches it later.
 */
export async function checkTarget(url: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(new URL(url));
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else if (host === 'localhost' || host.endsWith('.localhost')) addresses = ['127.0.0.1'];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return;
    }
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad) {
    throw new AppError('TARGET_NOT_ALLOWED', `${host} resolves to ${bad}, a loopback, private or link-local address`, {
      field: 'url',
      address: bad,
    });
  }
}

/**
 * A dns.lookup replacement for undici's connector: resolves, then refuses private addresses, so the
 * address checked is the address connected to (no DNS-rebinding window between check and connect).
 */
export function guardedLookup(
  hostname: string,
  options: { family?: number; all?: boolean },
  callback: (err: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void,
): void {
  lookup(hostname, { all: true, family: options.family as 0 | 4 | 6 | undefined }).then(
    (all) => {
      const bad = all.find((a) => isPrivateAddress(a.address));
      if (bad) return callback(new BlockedTargetError(`${hostname} resolves to private address ${bad.address}`), '');
      if (options.all) return callback(null, all);
      callback(null, all[0].address, all[0].family);
    },
    (err: Error) => callback(err, ''),
  );
}
