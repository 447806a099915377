import { randomUUID } from 'node:crypto';
import type { Store, Tx } from '../storage/database.js';
import type { Outcome } from './request-log.js';

/** A Kladana report fetch this process holds the claim of. */
export interface ClaimedFetch {
  requestId: string;
  accountId: string;
  sourceId: number;
  receivedMs: number;
  deliveryKey: string | null;
  reportUrl: string;
  reportType: 'all' | 'bystore';
  /** Tries made, this one included. */
  attempts: number;
  lease: string;
}

/** A new claim: the token no other claim of the row carries. */
export const newLease = (): string => randomUUID();

type Row = { id: string; account_id: string; source_id: number; received_ms: number | string; delivery_key: string | null; body: string; detail: string; fetch_attempts: number };

/**
 * What to fetch, from the row: the notification's reportUrl and reportType are in its detail; a row
 * logged before they were kept there (before migration 023) has them in its logged body.
 */
function toClaimed(r: Row, lease: string): ClaimedFetch {
  const detail = JSON.parse(r.detail) as { reportUrl?: unknown; reportType?: unknown };
  let body: { reportUrl?: unknown; reportType?: unknown } = {};
  try {
    body = JSON.parse(r.body) as typeof body;
  } catch {
    // A truncated body: the detail's reportUrl is all there is.
  }
  const reportUrl = typeof detail.reportUrl === 'string' ? detail.reportUrl : typeof body.reportUrl === 'string' ? body.reportUrl : '';
  const type = detail.reportType ?? body.reportType;
  return {
    requestId: r.id,
    accountId: r.account_id,
    sourceId: r.source_id,
    receivedMs: Number(r.received_ms),
    deliveryKey: r.delivery_key,
    reportUrl,
    reportType: type === 'all' ? 'all' : 'bystore',
    attempts: r.fetch_attempts,
    lease,
  };
}

/**
 * Claims up to `limit` due fetches in one statement, as deliveries are claimed (delivery/claim.ts):
 * rows another process is claiming are skipped (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a
 * single writer), and each claimed row is leased until now + leaseMs with a token of this claim. A
 * process that dies lets the lease run out and the row comes due again.
 */
export async function claimDueFetches(store: Store, opts: { now: number; leaseMs: number; limit: number }): Promise<ClaimedFetch[]> {
  const lease = newLease();
  const rows = await store.autocommit((db) => {
    const due = db
      .selectFrom('source_requests')
      .select('id')
      .where('fetch_due_ms', 'is not', null)
      .where('fetch_due_ms', '<=', opts.now)
      .orderBy('fetch_due_ms')
      .limit(opts.limit);
    return db
      .updateTable('source_requests')
      .set((eb) => ({ fetch_due_ms: opts.now + opts.leaseMs, fetch_lease: lease, fetch_attempts: eb('fetch_attempts', '+', 1) }))
      .where('id', 'in', store.lockForClaim(due))
      .where('fetch_due_ms', '<=', opts.now)
      .returning(['id', 'account_id', 'source_id', 'received_ms', 'delivery_key', 'body', 'detail', 'fetch_attempts'])
      .execute();
  });
  return rows.map((r) => toClaimed(r, lease));
}

/** When the next fetch not yet due comes due (a lease running out included), or null. */
export async function nextFetchDueAt(store: Store, after: number): Promise<number | null> {
  const row = await store.db
    .selectFrom('source_requests')
    .select((eb) => eb.fn.min('fetch_due_ms').as('at'))
    .where('fetch_due_ms', 'is not', null)
    .where('fetch_due_ms', '>', after)
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

/**
 * Ends the claim in the write that books (or gives up): the row has nothing more to fetch and
 * carries its outcome. False when the claim no longer holds (its lease ran out and another process
 * took the row): then this write must book nothing. On PostgreSQL the update locks the row, so a
 * claim racing it waits and then finds nothing due.
 */
export async function finishFetch(tx: Tx, c: ClaimedFetch, outcome: Outcome, detail: Record<string, unknown>): Promise<boolean> {
  const r = await tx
    .updateTable('source_requests')
    .set({ outcome, detail: JSON.stringify(detail), fetch_due_ms: null, fetch_lease: null })
    .where('id', '=', c.requestId)
    .where('fetch_lease', '=', c.lease)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A failed try: the row comes due again at `atMs`, its detail saying why and when. */
export async function retryFetchAt(tx: Tx, c: ClaimedFetch, atMs: number, detail: Record<string, unknown>): Promise<void> {
  await tx
    .updateTable('source_requests')
    .set({ detail: JSON.stringify(detail), fetch_due_ms: atMs, fetch_lease: null })
    .where('id', '=', c.requestId)
    .where('fetch_lease', '=', c.lease)
    .execute();
}

/** A try this process stopped before it ended (shutdown): not counted, due at once for whoever starts next. */
export async function releaseFetch(tx: Tx, c: ClaimedFetch, now: number): Promise<void> {
  await tx
    .updateTable('source_requests')
    .set((eb) => ({ fetch_due_ms: now, fetch_lease: null, fetch_attempts: eb('fetch_attempts', '-', 1) }))
    .where('id', '=', c.requestId)
    .where('fetch_lease', '=', c.lease)
    .execute();
}
