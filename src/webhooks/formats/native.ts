import type { WebhookFormat } from './format.js';
import { checkStandardSecret, newStandardSecret, standardHeaders } from './standard-signature.js';

/** Retry delays in seconds: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Svix's schedule). */
export const STANDARD_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000] as const;

/**
 * How formats whose vendor promises nothing are delivered: Svix's schedule with jitter, 15 s
 * timeout, Retry-After honoured; a healthy receiver answers 200 (any 2xx counts).
 */
export const STANDARD_DELIVERY = {
  retrySchedule: STANDARD_SCHEDULE,
  jitter: true,
  timeoutMs: 15_000,
  whenExhausted: 'failed',
  protections: true,
  honoursRetryAfter: true,
  healthyAnswer: { status: 200, body: '{"ok":true}' },
} as const;

/**
 * stockhook's own format: Standard Webhooks headers and signature, body
 * `{id, type, timestamp, account_id, data}` with the canonical event.
 */
export const nativeFormat: WebhookFormat = {
  name: 'native',
  ...STANDARD_DELIVERY,
  takes: () => true,
  sameForEverySubscription: true,
  async render(event, _sub, ctx) {
    const body = JSON.stringify({
      id: event.id,
      type: event.type,
      timestamp: new Date(event.occurredAt).toISOString(),
      account_id: ctx.account.id,
      data: event.data,
    });
    return { body, headers: { 'content-type': 'application/json' } };
  },
  attemptHeaders: (d, sub, now) => standardHeaders(d.id, d.body, sub, now),
  signsWithSeveralSecrets: true,
  judge(res) {
    if (res.status >= 200 && res.status < 300) return { outcome: 'success' };
    if (res.status === 410) return { outcome: 'gone', reason: 'HTTP 410 Gone' };
    return { outcome: 'retry', reason: `HTTP ${res.status}` };
  },
  secret: (given) => (given === undefined ? newStandardSecret() : checkStandardSecret(given)),
};
