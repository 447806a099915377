import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors.js';
import { standardSignature } from '../../receiver/signatures.js';
import { signingSecrets, type Subscription } from '../subscription-row.js';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` + base64 of
 * 24..64 random bytes; the signature is base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)),
 * sent as `v1,<signature>`.
 */
export function newStandardSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function checkStandardSecret(secret: string): string {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  const bytes = m ? Buffer.from(m[1], 'base64').length : 0;
  if (bytes < 24 || bytes > 64) {
    throw new AppError('VALIDATION_FAILED', 'secret must be whsec_ followed by base64 of 24 to 64 bytes', { field: 'secret' });
  }
  return secret;
}

/**
 * The headers of one attempt. During a rotation's grace period the subscription signs with both
 * secrets, the new one first (`v1,<new> v1,<old>`): Standard Webhooks receivers accept a request
 * when any one of the space-separated signatures matches, so one still holding the old secret keeps
 * verifying until it updates (as Svix rotates).
 */
export function standardHeaders(id: string, body: string, sub: Subscription, nowMs: number): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000).toString();
  const signatures = signingSecrets(sub).map((secret) => `v1,${standardSignature(secret, id, timestamp, body)}`);
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
