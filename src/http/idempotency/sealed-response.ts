import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Stored answers are encrypted with a key derived from the caller's own token. The server keeps
 * tokens only as hashes, so a stored answer that carries a secret (a webhook's signing secret, a
 * new account's token) is readable by nobody but the client that sent the request: not another
 * token of the account, not someone holding a copy of the database.
 */
const VERSION = 'v1';

const keyOf = (credential: string): Buffer =>
  createHmac('sha256', credential).update('stockhook idempotent response').digest();

export function seal(credential: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(credential), iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join('.');
}

/** The plain text, or null when the credential is not the one that sealed it (or the text was altered). */
export function unseal(credential: string, sealed: string): string | null {
  const [version, iv, tag, data] = sealed.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(credential), Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
