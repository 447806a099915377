import { prepared } from '../prepared.js';
import { insertEvents, type EventRows } from '../event-rows.js';

const bumpEventSeq = prepared<{ accountId: string; n: number }>()((db, v) =>
  db
    .updateTable('accounts')
    .set((eb) => ({ event_seq: eb('event_seq', '+', v.n) }))
    .where('id', '=', v.accountId)
    .returning(['event_seq', 'subscribers_version']),
);

/**
 * SQLite numbers events from a counter on the account row, bumped in the writing transaction: a
 * single writer commits in that order, so a reader paging with `after=<seq>` never skips an event.
 * The outbox takes it last in every write so it adds no lock-order cycle with the stock rows.
 */
export const sqliteEventRows: EventRows = {
  async numberInWrite(tx, accountId, n) {
    const [row] = (await bumpEventSeq(tx, { accountId, n })).rows;
    return { first: Number(row.event_seq) - n + 1, subscribersVersion: Number(row.subscribers_version) };
  },
  async insert(tx, rows) {
    await insertEvents(tx, rows);
    return null;
  },
};
