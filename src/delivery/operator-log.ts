import { endpointOf, logEvent, type EventLog } from '../log-events.js';
import type { Subscription } from '../webhooks/subscription-row.js';
import type { Attempt } from './attempt.js';
import type { ClaimedDelivery } from './claim.js';

/**
 * What delivery tells the operator's log (docs/operations/metrics-and-logs.md): each failed
 * attempt at warn, a success only at debug (a busy shop makes thousands a minute), and the
 * breaker's pauses and the subscriptions it disables. The attempt log API keeps every detail; these
 * records say enough to find it: the subscription, the delivery, the endpoint and the status.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The fields every delivery record carries. */
const about = (d: ClaimedDelivery, sub: Subscription) => ({
  subscription: sub.id,
  account: sub.accountId,
  delivery: d.id,
  eventType: d.eventType,
  format: sub.format,
  endpoint: endpointOf(sub.url),
});

export function logAttempt(events: EventLog | undefined, d: ClaimedDelivery, sub: Subscription, made: Attempt): void {
  const { result, decision } = made;
  const fields = { ...about(d, sub), attempt: result.attemptNo, status: result.responseStatus, durationMs: Math.round(result.durationMs) };
  if (decision.outcome === 'succeeded') {
    logEvent(events, 'delivery.succeeded', fields, `webhook delivered to ${fields.endpoint} (attempt ${result.attemptNo}, HTTP ${result.responseStatus})`);
    return;
  }
  const why = decision.errorMessage ?? decision.errorKind ?? 'failed';
  const next =
    decision.outcome === 'retry' ? `retry at ${iso(decision.nextAttemptMs)}` : decision.outcome === 'gone' ? 'the endpoint is gone' : `no retry (${decision.outcome})`;
  logEvent(
    events,
    'delivery.attempt_failed',
    { ...fields, errorKind: decision.errorKind, error: decision.errorMessage, outcome: decision.outcome, nextAttemptAt: iso(decision.nextAttemptMs) },
    `webhook attempt ${result.attemptNo} to ${fields.endpoint} failed: ${why}; ${next}`,
  );
}

export function logPaused(events: EventLog | undefined, sub: Subscription, reopenAt: number, cooldownMs: number): void {
  const endpoint = endpointOf(sub.url);
  logEvent(
    events,
    'breaker.paused',
    { subscription: sub.id, account: sub.accountId, endpoint, until: iso(reopenAt), cooldownMs },
    `deliveries to ${endpoint} paused until ${iso(reopenAt)} after repeated failures (circuit breaker open)`,
  );
}

export function logResumed(events: EventLog | undefined, sub: Subscription): void {
  const endpoint = endpointOf(sub.url);
  logEvent(events, 'breaker.resumed', { subscription: sub.id, account: sub.accountId, endpoint }, `deliveries to ${endpoint} resumed: the probe succeeded`);
}

export function logAutoDisabled(events: EventLog | undefined, w: { id: string; accountId: string; url: string }, reason: string): void {
  const endpoint = endpointOf(w.url);
  logEvent(events, 'subscription.auto_disabled', { subscription: w.id, account: w.accountId, endpoint, reason }, `subscription ${w.id} to ${endpoint} disabled: ${reason}`);
}
