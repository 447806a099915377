import type { Selectable } from 'kysely';
import { notFound } from '../errors.js';
import type { Store } from '../storage/database.js';
import type { EventTable } from '../storage/schema.js';
import type { EventType, StoredEvent } from './catalog.js';
import { assertEventsAfterKept } from './history.js';

export const toStoredEvent = (r: Selectable<EventTable>): StoredEvent => ({
  id: r.id,
  accountId: r.account_id,
  seq: r.seq === null ? null : Number(r.seq),
  type: r.type as EventType,
  object: r.object,
  objectId: r.object_id,
  action: r.action,
  occurredAt: Number(r.occurred_ms),
  data: JSON.parse(r.data) as Record<string, unknown>,
});

export interface EventView {
  id: string;
  seq: number;
  type: string;
  object: string;
  objectId: string;
  action: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** Only numbered events are shown (PostgreSQL numbers them just after commit: storage/postgres/event-sequencer.ts). */
export const eventView = (e: StoredEvent): EventView => ({
  id: e.id,
  seq: Number(e.seq),
  type: e.type,
  object: e.object,
  objectId: e.objectId,
  action: e.action,
  occurredAt: new Date(e.occurredAt).toISOString(),
  data: e.data,
});

/**
 * The pull API. Sequence numbers are handed out so that no event is numbered below one already
 * visible (in the writing transaction under the account's lock on SQLite, events/outbox.ts; after
 * commit in transaction order on PostgreSQL, storage/postgres/event-sequencer.ts), so paging with
 * `after=<last seq seen>` never skips an event; paging from before pruned history is 410.
 */
export async function listEvents(
  store: Store,
  accountId: string,
  opts: { after: number; limit: number; types?: string[]; last?: number },
): Promise<{ data: EventView[]; nextAfter: number }> {
  // Every write answered before the reader asked is in the commit order it pages over.
  const db = await store.eventReader();
  await assertEventsAfterKept(db, accountId, opts.after);
  let q = db.selectFrom('events').selectAll().where('account_id', '=', accountId).where('seq', '>', opts.after);
  if (opts.types && opts.types.length > 0) q = q.where('type', 'in', opts.types);
  // `last`: the newest N instead of the oldest (a live tail starts from them), still in commit order.
  const rows = opts.last === undefined ? await q.orderBy('seq').limit(opts.limit).execute() : (await q.orderBy('seq', 'desc').limit(opts.last).execute()).reverse();
  const data = rows.map((r) => eventView(toStoredEvent(r)));
  return { data, nextAfter: data.length > 0 ? data[data.length - 1].seq : opts.after };
}

/** One event of the account by id (a delivery names the event it carries). */
export async function getEvent(store: Store, accountId: string, id: string): Promise<EventView> {
  const db = await store.eventReader();
  const row = await db
    .selectFrom('events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('seq', 'is not', null)
    .executeTakeFirst();
  if (!row) throw notFound('event', id);
  return eventView(toStoredEvent(row));
}
