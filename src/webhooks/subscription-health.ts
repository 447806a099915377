import type { Db } from '../storage/database.js';
import { listSubscriptions, type SubscriptionOwner } from './subscription-row.js';

/**
 * How an endpoint is doing, for a person looking at it: the breaker's pause, the failing streak,
 * the last attempt and when the next one is due. The dashboard shows it beside each subscription
 * and on the deliveries that wait for it.
 */
export interface SubscriptionHealth {
  webhookId: string;
  /** disabled > paused (breaker open) > failing (its last attempts failed) > healthy. */
  state: 'healthy' | 'failing' | 'paused' | 'disabled';
  disabledReason: string | null;
  failingSince: string | null;
  pausedUntil: string | null;
  lastAttempt: { at: string; outcome: string; statusCode: number | null; error: string | null } | null;
  /** The earliest pending delivery's next try, no earlier than the pause's end; null with nothing pending. */
  nextAttemptAt: string | null;
  /** Deliveries waiting to be sent (pending) or held (disabled subscription). */
  pending: number;
  held: number;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function subscriptionHealth(db: Db, owner: SubscriptionOwner, now: number): Promise<SubscriptionHealth[]> {
  const subs = await listSubscriptions(db, owner);
  return Promise.all(
    subs.map(async (s): Promise<SubscriptionHealth> => {
      const [last, next, counts] = await Promise.all([
        db
          .selectFrom('attempts')
          .select(['started_ms', 'outcome', 'response_status', 'error_kind', 'error_message'])
          .where('account_id', '=', s.accountId)
          .where('webhook_id', '=', s.id)
          .orderBy('started_ms', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst(),
        db
          .selectFrom('deliveries')
          .select((eb) => eb.fn.min<number>('next_attempt_ms').as('next'))
          .where('account_id', '=', s.accountId)
          .where('webhook_id', '=', s.id)
          .where('status', '=', 'pending')
          .executeTakeFirst(),
        db
          .selectFrom('deliveries')
          .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
          .where('account_id', '=', s.accountId)
          .where('webhook_id', '=', s.id)
          .where('status', 'in', ['pending', 'held'])
          .groupBy('status')
          .execute(),
      ]);
      const paused = s.pausedUntil !== null && s.pausedUntil > now ? s.pausedUntil : null;
      const due = next?.next === null || next?.next === undefined ? null : Number(next.next);
      const count = (status: string) => Number(counts.find((c) => c.status === status)?.n ?? 0);
      return {
        webhookId: s.id,
        state: !s.enabled ? 'disabled' : paused !== null ? 'paused' : s.failingSince !== null ? 'failing' : 'healthy',
        disabledReason: s.disabledReason,
        failingSince: iso(s.failingSince),
        pausedUntil: iso(paused),
        lastAttempt: last
          ? {
              at: new Date(Number(last.started_ms)).toISOString(),
              outcome: last.outcome,
              statusCode: last.response_status === null ? null : Number(last.response_status),
              error: last.error_kind === null ? null : `${last.error_kind}: ${last.error_message ?? ''}`,
            }
          : null,
        nextAttemptAt: due === null || !s.enabled ? null : iso(paused !== null ? Math.max(due, paused) : due),
        pending: count('pending'),
        held: count('held'),
      };
    }),
  );
}
