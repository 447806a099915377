import { eventView, toStoredEvent, type EventView } from '../events/list.js';
import { notFound } from '../errors.js';
import type { Store } from '../storage/database.js';

/**
 * The events a document caused: its `document.posted`, the `stock.changed` of each movement and,
 * once cancelled, `document.cancelled` and the reversal's `stock.changed`. Events are written in the
 * document's own transaction with its time (events/outbox.ts), so they are found by that time on
 * the events_time index and told apart by what they name.
 */
export async function documentEvents(store: Store, accountId: string, id: number): Promise<EventView[]> {
  // Events are shown once in commit order (numbered): the reader's handle sees every committed one.
  const db = await store.eventReader();
  const doc = await db.selectFrom('documents').select(['id', 'created_ms', 'reversed_by_id']).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!doc) throw notFound('document', id);
  const reversal =
    doc.reversed_by_id === null
      ? undefined
      : await db.selectFrom('documents').select(['id', 'created_ms']).where('account_id', '=', accountId).where('id', '=', doc.reversed_by_id).executeTakeFirst();
  const times = [Number(doc.created_ms), ...(reversal ? [Number(reversal.created_ms)] : [])];
  const ids = new Set([doc.id, ...(reversal ? [reversal.id] : [])]);
  const rows = await db.selectFrom('events').selectAll().where('account_id', '=', accountId).where('occurred_ms', 'in', times).where('seq', 'is not', null).orderBy('seq').execute();
  return rows
    .map(toStoredEvent)
    .filter((e) => {
      if (e.type === 'stock.changed') return ids.has(e.data.documentId as number);
      if (e.type === 'document.posted') return ids.has((e.data.document as { id?: number } | undefined)?.id as number);
      if (e.type === 'document.cancelled') return e.objectId === String(doc.id);
      return false;
    })
    .map(eventView);
}
