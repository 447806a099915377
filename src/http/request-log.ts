import type { FastifyRequest } from 'fastify';

/**
 * Query parameter names that carry credentials. Tokens belong in the Authorization header, but
 * clients put them in URLs anyway (`?access_token=`), and a request log must not keep them.
 */
const CREDENTIAL = /token|passw|secret|api[-_]?key|signature|credential|auth|session|bearer|jwt/i;
const CREDENTIAL_EXACT = new Set(['key', 'sig', 'pwd', 'pass', 'code']);

const decodeName = (name: string): string => {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
};

/** The URL with the value of every credential-like query parameter replaced by [REDACTED]. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decodeName(eq < 0 ? pair : pair.slice(0, eq));
      return eq >= 0 && (CREDENTIAL.test(name) || CREDENTIAL_EXACT.has(name.toLowerCase())) ? `${pair.slice(0, eq)}=[REDACTED]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** fastify's request serializer, with the URL redacted. */
export function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}
