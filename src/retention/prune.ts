import { sql } from 'kysely';
import type { Store } from '../storage/database.js';
import type { RetentionPolicy } from './policy.js';

export type PrunedTable = 'events' | 'deliveries' | 'attempts' | 'source_requests' | 'source_deliveries';
export type PruneCounts = Record<PrunedTable, number>;

/** Rows per transaction: each batch holds SQLite's one write lock for a few milliseconds only. */
export const PRUNE_BATCH = 500;

/** Delivery states that are finished for good; `failed` waits for a retry until events expire. */
const DONE = ['succeeded', 'dropped', 'cancelled'] as const;

/** Lets queued writes run between two batches. */
const yieldToWrites = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Deletes, in batches, what the policy says has expired at `now`: attempt logs, finished deliveries
 * (with their attempts), failed deliveries as old as the event history, and events (recording per
 * account how far its history now starts); sources' logs as attempt logs, and the vendor delivery
 * identities they remember as finished deliveries. Returns the rows deleted per table.
 */
export async function pruneExpired(store: Store, now: number, policy: RetentionPolicy, batch = PRUNE_BATCH): Promise<PruneCounts> {
  const counts: PruneCounts = { events: 0, deliveries: 0, attempts: 0, source_requests: 0, source_deliveries: 0 };
  const loop = async (table: PrunedTable, step: () => Promise<number>) => {
    for (;;) {
      const n = await step();
      counts[table] += n;
      if (n < batch) return;
      await yieldToWrites();
    }
  };
  if (policy.attemptsMs > 0) {
    await loop('attempts', () => pruneAttempts(store, now - policy.attemptsMs, batch));
    // A source's log is its attempt log: it keeps what was received and answered as long.
    await loop('source_requests', () => pruneSourceRequests(store, now - policy.attemptsMs, batch));
  }
  if (policy.deliveriesMs > 0) {
    await loop('deliveries', () => pruneDeliveries(store, now - policy.deliveriesMs, DONE, batch, counts));
    // A vendor's delivery identity guards against its retries, which end within two days (Poster's
    // 15 tries); it is kept as long as a finished delivery.
    await loop('source_deliveries', () => pruneSourceDeliveries(store, now - policy.deliveriesMs, batch));
  }
  if (policy.eventsMs > 0) {
    await loop('deliveries', () => pruneDeliveries(store, now - policy.eventsMs, ['failed'], batch, counts));
    // Expired events are found per account through events_time (account_id, occurred_ms), which
    // every event needs for replay anyway, so an event insert writes no index for the pruner alone.
    const cutoff = now - policy.eventsMs;
    for (let account = await nextEventAccount(store, null); account !== null; account = await nextEventAccount(store, account)) {
      if (await hasExpiredEvents(store, account, cutoff)) await loop('events', () => pruneEvents(store, account, cutoff, batch));
    }
  }
  return counts;
}

async function pruneAttempts(store: Store, cutoff: number, batch: number): Promise<number> {
  const res = await store.write((tx) =>
    tx
      .deleteFrom('attempts')
      .where('id', 'in', (eb) => eb.selectFrom('attempts').select('id').where('started_ms', '<', cutoff).limit(batch))
      .executeTakeFirst(),
  );
  return Number(res.numDeletedRows);
}

async function pruneSourceRequests(store: Store, cutoff: number, batch: number): Promise<number> {
  const res = await store.write((tx) =>
    tx
      .deleteFrom('source_requests')
      // A row whose report is still to be fetched is the fetch's only record: it ends first.
      .where('id', 'in', (eb) => eb.selectFrom('source_requests').select('id').where('received_ms', '<', cutoff).where('fetch_due_ms', 'is', null).limit(batch))
      .executeTakeFirst(),
  );
  return Number(res.numDeletedRows);
}

/** Deleted by their two-column key, one statement each, so neither database needs row-value IN. */
async function pruneSourceDeliveries(store: Store, cutoff: number, batch: number): Promise<number> {
  return store.write(async (tx) => {
    const rows = await tx.selectFrom('source_deliveries').select(['source_id', 'delivery_key']).where('created_ms', '<', cutoff).limit(batch).execute();
    for (const r of rows) await tx.deleteFrom('source_deliveries').where('source_id', '=', r.source_id).where('delivery_key', '=', r.delivery_key).execute();
    return rows.length;
  });
}

async function pruneDeliveries(
  store: Store,
  cutoff: number,
  statuses: readonly ('succeeded' | 'dropped' | 'cancelled' | 'failed')[],
  batch: number,
  counts: PruneCounts,
): Promise<number> {
  // The count is added after the commit: a write function may run more than once (a group
  // commit's retry), and a rolled-back run's deletions never happened.
  const { deliveries, attempts } = await store.write(async (tx) => {
    const gone = await tx
      .deleteFrom('deliveries')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('deliveries')
          .select('id')
          .where('completed_ms', '<', cutoff)
          .where('status', 'in', [...statuses])
          .limit(batch),
      )
      .returning('id')
      .execute();
    if (gone.length === 0) return { deliveries: 0, attempts: 0 };
    // Their attempt logs go with them, however young the attempts policy would let them be.
    const res = await tx.deleteFrom('attempts').where('delivery_id', 'in', gone.map((d) => d.id)).executeTakeFirst();
    return { deliveries: gone.length, attempts: Number(res.numDeletedRows) };
  });
  counts.attempts += attempts;
  return deliveries;
}

/** The next account after `after` that has any event: one seek on an index that leads with account_id. */
async function nextEventAccount(store: Store, after: string | null): Promise<string | null> {
  let q = store.db.selectFrom('events').select((eb) => eb.fn.min('account_id').as('a'));
  if (after !== null) q = q.where('account_id', '>', after);
  return (await q.executeTakeFirst())?.a ?? null;
}

/** A read first, so an account with nothing to prune costs no write transaction. */
async function hasExpiredEvents(store: Store, accountId: string, cutoff: number): Promise<boolean> {
  const row = await store.db.selectFrom('events').select('id').where('account_id', '=', accountId).where('occurred_ms', '<', cutoff).limit(1).executeTakeFirst();
  return row !== undefined;
}

async function pruneEvents(store: Store, accountId: string, cutoff: number, batch: number): Promise<number> {
  return store.write(async (tx) => {
    const gone = await tx
      .deleteFrom('events')
      .where('id', 'in', (eb) => eb.selectFrom('events').select('id').where('account_id', '=', accountId).where('occurred_ms', '<', cutoff).limit(batch))
      .returning(['account_id', 'seq', 'occurred_ms'])
      .execute();
    const horizon = new Map<string, { seq: number; ms: number }>();
    for (const e of gone) {
      const h = horizon.get(e.account_id) ?? { seq: 0, ms: 0 };
      horizon.set(e.account_id, { seq: Math.max(h.seq, Number(e.seq)), ms: Math.max(h.ms, Number(e.occurred_ms)) });
    }
    for (const [id, h] of horizon) {
      // Only ever forward: another process's pruner may have recorded a later horizon already.
      await tx
        .insertInto('history_horizons')
        .values({ account_id: id, events_pruned_seq: h.seq, events_pruned_ms: h.ms })
        .onConflict((oc) =>
          oc.column('account_id').doUpdateSet({
            events_pruned_seq: sql`case when excluded.events_pruned_seq > history_horizons.events_pruned_seq then excluded.events_pruned_seq else history_horizons.events_pruned_seq end`,
            events_pruned_ms: sql`case when excluded.events_pruned_ms > history_horizons.events_pruned_ms then excluded.events_pruned_ms else history_horizons.events_pruned_ms end`,
          }),
        )
        .execute();
    }
    return gone.length;
  });
}
