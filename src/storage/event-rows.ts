import type { Insertable } from 'kysely';
import type { Db, Tx } from './db.js';
import { prepared, preparedInsert } from './prepared.js';
import type { EventTable } from './schema.js';

export type EventRow = Insertable<EventTable>;

export const EVENT_COLUMNS = ['id', 'account_id', 'seq', 'type', 'object', 'object_id', 'action', 'occurred_ms', 'data'] as const;
export const insertEvents = preparedInsert('events', EVENT_COLUMNS);

/** The account's enabled subscriptions, with the account's number, slug and plan: who hears of its events. */
export const subscribersOf = (db: Db, accountId: string) =>
  db
    .selectFrom('webhooks')
    .innerJoin('accounts', 'accounts.id', 'webhooks.account_id')
    .selectAll('webhooks')
    .select(['accounts.number as account_number', 'accounts.slug as account_slug', 'accounts.plan as account_plan'])
    .where('webhooks.account_id', '=', accountId)
    .where('webhooks.enabled', '=', 1);
export const readSubscribers = prepared<{ accountId: string }>()((db, v) => subscribersOf(db, v.accountId));

/** One of the account's enabled subscriptions, as the outbox hands it to its hooks. */
export type Subscriber = Awaited<ReturnType<typeof readSubscribers>>['rows'][number];

/**
 * How a write stores its events, the part that differs per database (sqlite/event-rows.ts,
 * postgres/event-rows.ts); events/outbox.ts does the rest the same way on both.
 */
export interface EventRows {
  /**
   * Takes n sequence numbers for the account's events in this write, with the account's
   * subscribers_version as this transaction sees it; null where the store numbers events after
   * commit instead (Store.eventsCommitted), the events then carry no number.
   */
  numberInWrite(tx: Tx, accountId: string, n: number): Promise<{ first: number; subscribersVersion: number } | null>;
  /** Inserts the events; where the same statement read the account's subscribers, returns them, else null. */
  insert(tx: Tx, rows: EventRow[]): Promise<Subscriber[] | null>;
}
