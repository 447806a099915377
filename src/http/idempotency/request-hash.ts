import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface RequestFingerprint {
  method: string;
  /** Path and query: a key reused on another endpoint or object is a conflict, not a replay. */
  url: string;
  accountId: string;
  principal: string;
  body: unknown;
}

/** The fingerprint a key is bound to (SHA-256 over the parts, each on its own line). */
export function requestHash(r: RequestFingerprint): string {
  return createHash('sha256')
    .update([r.method, r.url, r.accountId, r.principal, canonicalJson(r.body ?? null)].join('\n'))
    .digest('hex');
}
