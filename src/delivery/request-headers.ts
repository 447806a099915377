import type { AttemptReads, WebhookFormat } from '../webhooks/formats/format.js';
import type { Subscription } from '../webhooks/subscription-row.js';
import type { ClaimedDelivery } from './claim.js';

export const USER_AGENT = 'stockhook/0.1';

/**
 * Every header of one attempt, built in one place: the user agent, the headers stored at render
 * time (content-type, event names), the format's per-attempt headers (signatures over a fresh
 * timestamp, with the secret in force now), and the endpoint's own credentials.
 */
export function requestHeaders(d: ClaimedDelivery, sub: Subscription, format: WebhookFormat, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...d.headers };
  Object.assign(headers, format.attemptHeaders({ id: d.id, body: d.body }, sub, nowMs));
  if (sub.basicAuth) {
    headers.authorization = `Basic ${Buffer.from(`${sub.basicAuth.username}:${sub.basicAuth.password}`).toString('base64')}`;
  } else if (sub.bearerToken) {
    headers.authorization = `Bearer ${sub.bearerToken}`;
  }
  return headers;
}

/**
 * The request one attempt sends: the stored body, or the format's send-time rendering of it (Poster
 * fills in the send time and, for its own application, the access token nothing stores in clear),
 * with its headers. `cancel` says the delivery must not be sent at all.
 */
export async function prepareRequest(
  d: ClaimedDelivery,
  sub: Subscription,
  format: WebhookFormat,
  reads: AttemptReads = NO_SECRETS,
  nowMs: number = Date.now(),
): Promise<{ body: string; headers: Record<string, string> } | { cancel: string }> {
  let body = d.body;
  if (format.finalizeBody) {
    const final = await format.finalizeBody(d, sub, reads, nowMs);
    if ('cancel' in final) return final;
    body = final.body;
  }
  return { body, headers: requestHeaders({ ...d, body }, sub, format, nowMs) };
}

/** Without a secret store no application token can be sent: such deliveries are cancelled. */
const NO_SECRETS: AttemptReads = { applicationToken: async () => null };

const SECRET_HEADERS = new Set(['authorization']);

/** The attempt log never stores credentials: `Basic ***`, `Bearer ***`. */
export function maskHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = SECRET_HEADERS.has(k.toLowerCase()) ? `${v.split(' ')[0]} ***` : v;
  return out;
}
