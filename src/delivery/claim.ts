import type { Store } from '../storage/database.js';

export interface ClaimedDelivery {
  id: string;
  accountId: string;
  subscriptionId: string;
  eventId: string | null;
  eventType: string;
  /** Attempts already made before this claim. */
  attempts: number;
  url: string;
  headers: Record<string, string>;
  body: string;
  createdMs: number;
}

/**
 * Claims up to `limit` due deliveries in ONE statement: the inner SELECT picks due rows from the
 * partial index `deliveries_due` (pending rows only, in due order), skipping rows another worker
 * is claiming (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a single writer), and the UPDATE
 * leases them by moving next_attempt_ms to now + lease. A worker that dies simply lets the lease
 * run out and the row comes due again, with the same delivery id.
 * Subscriptions at their in-flight limit or behind an open breaker, and accounts at their share of
 * the worker's slots (slots/), are excluded, so their backlog never occupies this worker's slots.
 */
export async function claimDue(
  store: Store,
  opts: { owner: string; limit: number; now: number; leaseMs: number; subscriptions: string[]; accounts: string[] },
): Promise<ClaimedDelivery[]> {
  const rows = await store.autocommit((db) => {
    let inner = db
      .selectFrom('deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_ms', '<=', opts.now)
      .orderBy('next_attempt_ms')
      .limit(opts.limit);
    if (opts.subscriptions.length > 0) inner = inner.where('webhook_id', 'not in', opts.subscriptions);
    if (opts.accounts.length > 0) inner = inner.where('account_id', 'not in', opts.accounts);
    return db
      .updateTable('deliveries')
      .set({ next_attempt_ms: opts.now + opts.leaseMs, lease_owner: opts.owner, coalesce_key: null })
      .where('id', 'in', store.lockForClaim(inner))
      .returning(['id', 'account_id', 'webhook_id', 'event_id', 'event_type', 'attempts', 'url', 'headers', 'body', 'created_ms'])
      .execute();
  });
  // PostgreSQL returns an UPDATE's rows in no set order: an endpoint's backlog is queued, and so
  // sent, oldest first (the id only makes the order of one millisecond's rows the same every time).
  return rows
    .sort((a, b) => Number(a.created_ms) - Number(b.created_ms) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((r) => ({
      id: r.id,
      accountId: r.account_id,
      subscriptionId: r.webhook_id,
      eventId: r.event_id,
      eventType: r.event_type,
      attempts: r.attempts,
      url: r.url,
      headers: JSON.parse(r.headers) as Record<string, string>,
      body: r.body,
      createdMs: Number(r.created_ms),
    }));
}

/**
 * When the next pending delivery comes due after `after`, so an idle dispatcher sleeps exactly
 * that long. Rows due already are not asked for: the caller's claim left them out (their endpoint or
 * account was excluded), and one of them must not hide a row that comes due later.
 */
export async function nextDueAt(store: Store, after: number): Promise<number | null> {
  const row = await store.db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.min('next_attempt_ms').as('at'))
    .where('status', '=', 'pending')
    .where('next_attempt_ms', '>', after)
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

/** Extends the lease of everything this worker holds (heartbeat), so a slow endpoint's queue is not taken over. */
export async function extendLeases(store: Store, owner: string, until: number): Promise<void> {
  await store.autocommit((db) =>
    db.updateTable('deliveries').set({ next_attempt_ms: until }).where('lease_owner', '=', owner).where('status', '=', 'pending').execute(),
  );
}

/** Gives claimed-but-unsent deliveries back without spending an attempt (shutdown, open breaker). */
export async function releaseClaims(store: Store, owner: string, ids: string[], dueAt: number): Promise<void> {
  // One turn per chunk: the other thread's writes go between two chunks.
  for (let i = 0; i < ids.length; i += 500) {
    await store.autocommit((db) =>
      db
        .updateTable('deliveries')
        .set({ next_attempt_ms: dueAt, lease_owner: null })
        .where('lease_owner', '=', owner)
        .where('status', '=', 'pending')
        .where('id', 'in', ids.slice(i, i + 500))
        .execute(),
    );
  }
}

/**
 * An open breaker pushes the endpoint's unclaimed pending deliveries to its reopen time, so no
 * worker claims them (and spends an attempt) while it is open.
 */
export async function pushBackPending(store: Store, subscriptionId: string, until: number): Promise<void> {
  await store.autocommit((db) =>
    db
      .updateTable('deliveries')
      .set({ next_attempt_ms: until })
      .where('webhook_id', '=', subscriptionId)
      .where('status', '=', 'pending')
      .where('lease_owner', 'is', null)
      .where('next_attempt_ms', '<', until)
      .execute(),
  );
}

/**
 * Ends a claimed delivery without sending it (its format refused the send: Poster's
 * `application`/`added` after the application was uninstalled). No attempt is logged: nothing was sent.
 */
export async function cancelClaim(store: Store, owner: string, id: string, reason: string, now: number): Promise<void> {
  await store.autocommit((db) =>
    db
      .updateTable('deliveries')
      .set({ status: 'cancelled', lease_owner: null, completed_ms: now, last_error: reason })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'pending')
      .execute(),
  );
}
