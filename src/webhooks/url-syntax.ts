/**
 * What the WHATWG URL parser forgives and a stored webhook URL must not carry. `new URL()` strips
 * leading and trailing spaces and control characters, drops tabs and newlines anywhere, turns
 * backslashes into slashes, reads `http:///x` as `http://x/` and accepts port 0: the stored text
 * would then not be the URL that is called (or a newline would reach a request line). So the input
 * itself must already be plain: `http(s)://`, a non-empty host, a port of 1-65535 when one is
 * written, and no whitespace, control characters or backslashes anywhere.
 * Syntax only; whether the host may be called is webhooks/targets.ts's business.
 */

// Unicode whitespace and control characters (C0, DEL, C1), and the backslash.
const UNSAFE_CHAR = /[\s\u0000-\u001f\u007f-\u009f\\]/u;
/** `scheme://authority` and the rest: the authority ends at the first `/`, `?` or `#`. */
const SHAPE = /^https?:\/\/([^/?#]*)/i;
/** `host` or `host:port`, the host possibly an IPv6 literal in brackets. */
const AUTHORITY = /^(\[[^\]]*\]|[^:[\]]*)(?::(.*))?$/;
const PORT = /^[1-9][0-9]{0,4}$/;

/** Why `url` is not a plain http(s) URL, or null when it is. */
export function urlSyntaxProblem(url: string): string | null {
  if (UNSAFE_CHAR.test(url)) return 'must not contain whitespace, control characters or backslashes';
  const shape = SHAPE.exec(url);
  if (!shape) return 'must start with http:// or https:// and a host';
  // Credentials (user@) are refused by the caller with a clearer message; the host is after them.
  const authority = shape[1].slice(shape[1].lastIndexOf('@') + 1);
  const parts = AUTHORITY.exec(authority);
  if (!parts || parts[1] === '' || parts[1] === '[]') return 'must name a host';
  const port = parts[2];
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535)) return 'must have a port from 1 to 65535 when it gives one';
  return null;
}
