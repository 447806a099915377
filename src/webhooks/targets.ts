import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../errors.js';

/** Global unicast IPv6 (RFC 4291, IANA's IPv6 address space): every other /3 is reserved or special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3') as [ipaddr.IPv6, number];

/**
 * Whether a webhook may not reach this address unless STOCKHOOK_ALLOW_PRIVATE_TARGETS=1.
 * Only global unicast passes: ipaddr.js classifies every IANA special-purpose range (loopback,
 * private, carrier-grade NAT, link-local where cloud metadata lives, documentation, benchmarking,
 * multicast, reserved, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16, Teredo, site-local
 * fec0::/10, discard 100::/64, ...). NAT64, 6to4 and Teredo embed an IPv4 address a gateway would
 * reach, so they are refused whole; an IPv4-mapped address (::ffff:a.b.c.d, in any spelling) is
 * judged as its IPv4 address. IPv6 outside 2000::/3 is refused whole too: ipaddr.js calls what it
 * has no name for "unicast", and that included the deprecated IPv4-compatible ::a.b.c.d (URL
 * parsing turns [::127.0.0.1] into [::7f00:1]), which some stacks still route to the IPv4 address.
 * Nothing public lives outside 2000::/3. Anything that does not parse as an address is refused.
 */
export function isPrivateAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return true;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
    else if (!v6.match(GLOBAL_UNICAST_V6)) return true;
  }
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

/** The server setting that lets webhooks reach such addresses (config.ts reads it). */
export const ALLOW_PRIVATE_SETTING = 'STOCKHOOK_ALLOW_PRIVATE_TARGETS';

/** What to do about a refused target, said in the refusal: an account cannot change it, its operator can. */
export const ALLOW_PRIVATE_HINT =
  `Webhooks reach such addresses only when the server is started with ${ALLOW_PRIVATE_SETTING}=1 ` +
  '(for receivers on the same machine or a private network; it also lets every account target them): ask its operator, or give a public URL';

/** The host of a URL without IPv6 brackets. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/**
 * Refuses a URL whose host is, or resolves to, a private address. A name that does not resolve
 * right now is allowed at creation (DNS may be down); the send-time check catches it later.
 * `resolve` is the system's resolver; tests give a name several addresses through it.
 */
export async function checkTarget(url: string, allowPrivate: boolean, resolve: Resolve = systemResolve): Promise<void> {
  if (allowPrivate) return;
  const host = hostOf(new URL(url));
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else if (isLocalhostName(host)) addresses = ['127.0.0.1'];
  else {
    try {
      addresses = (await resolve(host, 0)).map((a) => a.address);
    } catch {
      return;
    }
  }
  // The message names the host, never the address it resolved to: that would turn this check into
  // an oracle for the server's internal DNS.
  if (addresses.some(isPrivateAddress)) {
    throw new AppError('TARGET_NOT_ALLOWED', `${host} is, or resolves to, a loopback, private or otherwise non-public address. ${ALLOW_PRIVATE_HINT}`, {
      field: 'url',
      setting: ALLOW_PRIVATE_SETTING,
    });
  }
}

/** Resolves a name to every address it has, as dns.lookup with `all: true` does (tests inject their own). */
export type Resolve = (hostname: string, family: 0 | 4 | 6) => Promise<Array<{ address: string; family: number }>>;

export const systemResolve: Resolve = (hostname, family) => lookup(hostname, { all: true, family });

type LookupCallback = (err: Error | null, address: string | Array<{ address: string; family: number }>, family?: number) => void;

/**
 * A dns.lookup replacement for undici's connector: resolves, then refuses private addresses, so the
 * address checked is the address connected to (no DNS-rebinding window between check and connect).
 * Every address the name has is checked, and one private address refuses the whole name rather
 * than connecting to the public ones only: the connector (Happy Eyeballs) would fall back to the
 * next address when one fails, and which one fails is the name owner's to decide; and a name
 * creation refused (checkTarget) must not be reachable at send time either.
 */
export function guardedLookup(resolve: Resolve = systemResolve) {
  return (hostname: string, options: { family?: number; all?: boolean }, callback: LookupCallback): void => {
    resolve(hostname, (options.family ?? 0) as 0 | 4 | 6).then(
      (all) => {
        if (all.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
        if (all.some((a) => isPrivateAddress(a.address))) {
          return callback(new BlockedTargetError(`${hostname} resolves to a non-public address`), '');
        }
        if (options.all) return callback(null, all);
        callback(null, all[0].address, all[0].family);
      },
      (err: Error) => callback(err, ''),
    );
  };
}
