import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

/**
 * Whether a webhook may not reach this address unless STOCKHOOK_ALLOW_PRIVATE_TARGETS=1.
 * Only global unicast passes: ipaddr.js classifies every IANA special-purpose range (loopback,
 * private, carrier-grade NAT, link-local where cloud metadata lives, documentation, benchmarking,
 * multicast, reserved, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo, site-local fec0::/10, discard
 * 100::/64, ...). NAT64, 6to4 and Teredo embed an IPv4 address a gateway would reach, so they are
 * refused whole; an IPv4-mapped address (::ffff:a.b.c.d, in any spelling) is judged as its IPv4 address.
 * Anything that does not parse as an address is refused.
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() !== 'unicast';
}

/** `localhost`, `*.localhost` and their absolute forms (`localhost.`) are loopback by definition (RFC 6761). */
export function isLocalhostName(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
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
  else if (isLocalhostName(host)) addresses = ['127.0.0.1'];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return;
    }
  }
  // The message names the host, never the address it resolved to: that would turn this check into
  // an oracle for the server's internal DNS.
  if (addresses.some(isPrivateAddress)) {
    throw new AppError('TARGET_NOT_ALLOWED', `${host} is, or resolves to, a loopback, private or otherwise non-public address`, {
      field: 'url',
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
      if (bad) return callback(new BlockedTargetError(`${hostname} resolves to a non-public address`), '');
      if (options.all) return callback(null, all);
      callback(null, all[0].address, all[0].family);
    },
    (err: Error) => callback(err, ''),
  );
}
