import { header, safeEqual, type HeadersLike } from './compare.js';
import type { FormatName } from './formats.js';
import { cyclesoftwareSignature, metakockaSignature, posterVerify, standardSignature } from './signatures.js';

export interface VerifyInput {
  headers: HeadersLike;
  /** The raw request body, exactly as received (a re-serialised body will not verify). */
  body: string | Buffer;
  /**
   * The secret, or several: while a sender rotates (or while you move to a new secret), a request
   * signed with any one of them is accepted.
   */
  secret: string | readonly string[];
  /** Standard Webhooks: how far webhook-timestamp may be from now (default 300 s). */
  toleranceSeconds?: number;
  /** For tests: the current time in ms. */
  now?: number;
}

export type VerifyResult = { valid: true } | { valid: false; reason: string };

const ok: VerifyResult = { valid: true };
const bad = (reason: string): VerifyResult => ({ valid: false, reason });

/**
 * Verifies a webhook the way its format says. Comparisons are constant-time. Given a list of
 * secrets, the request is valid when it verifies with any one of them.
 *
 * @example
 * const r = verify('metakocka', { headers: req.headers, body: rawBody, secret: 'client-secret' });
 * if (!r.valid) return res.writeHead(401).end(r.reason);
 * // While moving to a rotated secret:
 * verify('native', { headers: req.headers, body: rawBody, secret: [newSecret, oldSecret] });
 */
export function verify(format: FormatName, input: VerifyInput): VerifyResult {
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  if (secrets.length === 0) return bad('no secret to verify with');
  let result: VerifyResult = ok;
  for (const secret of secrets) {
    result = verifyWith(format, { ...input, secret });
    if (result.valid) return result;
  }
  return result;
}

function verifyWith(format: FormatName, input: VerifyInput & { secret: string }): VerifyResult {
  const body = typeof input.body === 'string' ? input.body : input.body.toString('utf8');
  switch (format) {
    case 'native':
    case 'marketplace':
      return verifyStandard(input, body);
    case 'metakocka': {
      const got = header(input.headers, 'x-metakocka-signature');
      if (!got) return bad('missing X-MetaKocka-Signature');
      const want = metakockaSignature(input.secret, body);
      return safeEqual(got, want) ? ok : bad('X-MetaKocka-Signature does not match');
    }
    case 'cyclesoftware': {
      const got = header(input.headers, 'x-cyclesoftware-signature');
      if (!got) return bad('missing X-CycleSoftware-Signature');
      const want = cyclesoftwareSignature(input.secret, body);
      return safeEqual(got.toLowerCase(), want) ? ok : bad('X-CycleSoftware-Signature does not match');
    }
    case 'poster':
      return verifyPoster(body, input.secret);
    case 'kladana':
      // Kladana notifications carry no signature: check the request id and protect the endpoint
      // URL itself (a secret path or Basic credentials).
      return ok;
  }
}

/** Standard Webhooks (https://www.standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`. */
function verifyStandard(input: VerifyInput & { secret: string }, body: string): VerifyResult {
  const id = header(input.headers, 'webhook-id');
  const ts = header(input.headers, 'webhook-timestamp');
  const sigs = header(input.headers, 'webhook-signature');
  if (!id || !ts || !sigs) return bad('missing webhook-id, webhook-timestamp or webhook-signature');
  if (!/^\d+$/.test(ts)) return bad('webhook-timestamp is not a number');
  const now = Math.floor((input.now ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? 300;
  if (Math.abs(now - Number(ts)) > tolerance) return bad('webhook-timestamp is outside the tolerance');
  const want = standardSignature(input.secret, id, ts, body);
  // The header may carry several space-separated signatures (during a secret rotation).
  for (const part of sigs.split(' ')) {
    const [version, sig] = part.split(',', 2);
    if (version === 'v1' && sig && safeEqual(sig, want)) return ok;
  }
  return bad('no webhook-signature matches');
}

/** Poster: md5 of `account;object;object_id;action;[data;]time;secret`, as its PHP sample computes it. */
function verifyPoster(body: string, secret: string): VerifyResult {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return bad('body is not JSON');
  }
  if (typeof data.verify !== 'string') return bad('missing verify');
  const want = posterVerify(
    {
      account: String(data.account),
      object: String(data.object),
      objectId: String(data.object_id),
      action: String(data.action),
      ...(data.data !== undefined && { data: String(data.data) }),
      time: String(data.time),
    },
    secret,
  );
  return safeEqual(data.verify, want) ? ok : bad('verify does not match');
}
