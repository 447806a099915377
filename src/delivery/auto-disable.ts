import type { Ctx } from '../context.js';
import { PROTECTED_FORMATS } from '../webhooks/formats/registry.js';
import { disableSubscription } from '../webhooks/subscriptions.js';
import type { EventLog } from '../log-events.js';
import type { AttemptResult } from './finish.js';
import { logAutoDisabled } from './operator-log.js';

/** A subscription failing this long (5 days) is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000;

/**
 * After a batch of results: subscriptions among its failures whose endpoint has been failing for
 * DISABLE_AFTER_MS are disabled (their deliveries held, a webhook.disabled event written).
 */
export async function disableLongFailing(
  ctx: Ctx,
  batch: AttemptResult[],
  now: number,
  log: (msg: string, err?: unknown) => void,
  events?: EventLog,
): Promise<void> {
  const failing = [...new Set(batch.filter((r) => r.outcome !== 'succeeded').map((r) => r.delivery.subscriptionId))];
  if (failing.length === 0) return;
  const stale = await ctx.store.db
    .selectFrom('webhooks')
    .select(['id', 'account_id', 'url'])
    .where('id', 'in', failing)
    .where('enabled', '=', 1)
    // A vendor's promised schedule runs to its end: the disable is stockhook's own protection.
    .where('format', 'in', PROTECTED_FORMATS)
    .where('failing_since_ms', '<=', now - DISABLE_AFTER_MS)
    .execute();
  const reason = 'the endpoint has been failing for 5 days';
  for (const w of stale) {
    const disabled = await disableSubscription(ctx, w.account_id, w.id, reason).catch((e) => log('disable failed', e));
    if (disabled === true) logAutoDisabled(events, { id: w.id, accountId: w.account_id, url: w.url }, reason);
  }
}
