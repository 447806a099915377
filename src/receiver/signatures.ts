import { createHash, createHmac } from 'node:crypto';

/**
 * Every format's signature, computed once here: the sender signs with these functions and
 * `verify()` recomputes with the same ones, so the two can never drift apart. Only node:crypto.
 */

/** Standard Webhooks (native, marketplace): base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)); key = base64 after `whsec_`. */
export function standardSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`, 'utf8').digest('base64');
}

/** MetaKocka's `X-MetaKocka-Signature`: Base64(HMAC-SHA1(client_secret, body bytes)). */
export function metakockaSignature(secret: string, body: string): string {
  return createHmac('sha1', secret).update(body, 'utf8').digest('base64');
}

/** CycleSoftware's `X-CycleSoftware-Signature`: hex(HMAC-SHA256(secret, body bytes)). */
export function cyclesoftwareSignature(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

/** The fields Poster's `verify` covers, in its order; `data` only when the hook carries data. */
export interface PosterVerifyFields {
  account: string;
  object: string;
  objectId: string | number;
  action: string;
  data?: string;
  time: string;
}

/** Poster's `verify`: md5 of `account;object;object_id;action;[data;]time;secret`, as its PHP sample computes it. */
export function posterVerify(f: PosterVerifyFields, secret: string): string {
  const parts = [f.account, f.object, String(f.objectId), f.action];
  if (f.data !== undefined) parts.push(f.data);
  parts.push(f.time, secret);
  return createHash('md5').update(parts.join(';'), 'utf8').digest('hex');
}
