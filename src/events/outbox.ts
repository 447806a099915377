import type { Insertable } from 'kysely';
import { timeOrderedId } from '../storage/time-ordered-id.js';
import type { Db, Tx } from '../storage/database.js';
import { writesInCtes } from '../storage/dialect.js';
import { prepared, preparedInsert, preparedRows } from '../storage/prepared.js';
import { sql } from 'kysely';
import { DELIVERY_COLUMN_TYPES, DELIVERY_COLUMNS, type DeliveryTable, type EventTable } from '../storage/schema.js';
import type { NewEvent, StoredEvent } from './catalog.js';

/** The account's enabled subscriptions, with the account's number, slug and plan: who hears of its events. */
export type Subscriber = Awaited<ReturnType<typeof readSubscribers>>['rows'][number];

/** A delivery row as the fan-out renders it. */
export type DeliveryRow = Insertable<DeliveryTable>;

/**
 * What a hook makes of some events: plain delivery rows the outbox may write in the events' own
 * statement (PostgreSQL, one round trip fewer), and the rest of its writes.
 */
export interface HookWork {
  /** Rows with no coalescing key, due as rendered: a plain multi-row insert. */
  readonly plain: DeliveryRow[];
  /** Writes what the events' statement did not: everything when `plainWritten` is false. */
  writeRest(tx: Tx, plainWritten: boolean): Promise<void>;
}

/**
 * Something that must happen in the same transaction as the events it is given
 * (the webhook fan-out registers here), so there is never a committed event without it. It gets
 * the account's subscribers as read in that transaction (or a copy the account's
 * subscribers_version proves unchanged) and renders, reading only; its writes come back as work.
 */
export type OutboxHook = (tx: Tx, events: StoredEvent[], subscribers: Subscriber[]) => Promise<HookWork | null>;

/** Something to run once the transaction has committed (wake the dispatcher). */
export type CommitListener = (events: StoredEvent[]) => void;

// Every write runs these: compiled once (storage/prepared.ts).
const bumpEventSeq = prepared<{ accountId: string; n: number }>()((db, v) =>
  db
    .updateTable('accounts')
    .set((eb) => ({ event_seq: eb('event_seq', '+', v.n) }))
    .where('id', '=', v.accountId)
    .returning(['event_seq', 'subscribers_version']),
);

/** How many accounts' subscribers a process keeps between writes (the least recently written leave first). */
const SUBSCRIBER_CACHE_ACCOUNTS = 1_000;

const EVENT_COLUMNS = ['id', 'account_id', 'seq', 'type', 'object', 'object_id', 'action', 'occurred_ms', 'data'] as const;
const insertEvents = preparedInsert('events', EVENT_COLUMNS);

const subscribersOf = (db: Db, accountId: string) =>
  db
    .selectFrom('webhooks')
    .innerJoin('accounts', 'accounts.id', 'webhooks.account_id')
    .selectAll('webhooks')
    .select([
      'accounts.number as account_number',
      'accounts.slug as account_slug',
      'accounts.plan as account_plan',
      'accounts.subscribers_version as subscribers_version',
    ])
    .where('webhooks.account_id', '=', accountId)
    .where('webhooks.enabled', '=', 1);
const readSubscribers = prepared<{ accountId: string }>()((db, v) => subscribersOf(db, v.accountId));

/** PostgreSQL: the events' INSERT and the subscribers' read in one statement (a data-modifying WITH), one round trip fewer per write. */
type EventRow = Insertable<EventTable>;
const insertEventsReadingSubscribers = preparedRows<EventRow>()((db, rows) =>
  db
    .with('inserted', (qc) =>
      qc.insertInto('events').values(rows.map((r) => Object.fromEntries(EVENT_COLUMNS.map((c) => [c, r[c]]))) as never),
    )
    .selectFrom(() => subscribersOf(db, rows[0].account_id).as('s'))
    .selectAll('s'),
);

/** The events' columns with their PostgreSQL types, for the unnest below. */
const EVENT_ARRAYS = {
  id: 'text',
  account_id: 'text',
  seq: 'bigint',
  type: 'text',
  object: 'text',
  object_id: 'text',
  action: 'text',
  occurred_ms: 'bigint',
  data: 'text',
} as const satisfies Record<(typeof EVENT_COLUMNS)[number], string>;
type Arrays<T extends Record<string, string>, P extends string> = { [K in keyof T & string as `${P}${K}`]: unknown[] };
type EventsAndDeliveries = { accountId: string; version: number } & Arrays<typeof EVENT_ARRAYS, 'e_'> & Arrays<typeof DELIVERY_COLUMN_TYPES, 'd_'>;

/** `unnest($1::text[], $2::bigint[], ...) as alias(col, ...)` over the prefixed arrays of `v`. */
function unnestOf(v: Record<string, unknown>, prefix: string, arrays: Record<string, string>, alias: string) {
  const names = Object.keys(arrays);
  const args = sql.join(names.map((c) => sql`${v[prefix + c]}::${sql.raw(arrays[c])}[]`));
  return sql`unnest(${args}) as ${sql.raw(alias)}(${sql.raw(names.join(', '))})`;
}

/**
 * PostgreSQL, when this process holds the account's subscribers from an earlier write: the events
 * and the deliveries rendered for those subscribers in ONE statement (a data-modifying WITH over
 * arrays, so the SQL is the same whatever the row counts and stays one named statement). The
 * deliveries are written only if the account's subscribers_version, read by the same statement, is
 * still the one that copy carries; the statement returns it either way (no row: no such account).
 */
const insertEventsAndDeliveries = prepared<EventsAndDeliveries>()((db, v) => {
  const values = v as unknown as Record<string, unknown>;
  const columnsOf = (names: readonly string[], alias: string) => sql.raw(names.map((c) => `${alias}${c}`).join(', '));
  const query = sql<{ subscribers_version: number }>`
    with acct as (select subscribers_version from accounts where id = ${v.accountId}),
    ev as (
      insert into events (${columnsOf(EVENT_COLUMNS, '')})
      select ${columnsOf(EVENT_COLUMNS, 'e.')} from ${unnestOf(values, 'e_', EVENT_ARRAYS, 'e')}
    ), dl as (
      insert into deliveries (${columnsOf(DELIVERY_COLUMNS, '')})
      select ${columnsOf(DELIVERY_COLUMNS, 'r.')} from ${unnestOf(values, 'd_', DELIVERY_COLUMN_TYPES, 'r')}
      where (select subscribers_version from acct) = ${v.version}
    )
    select subscribers_version from acct`;
  return { compile: () => query.compile(db) };
});

/** Column-wise arrays of some rows, each under `prefix` + its column, for an unnest. */
function arraysOf(prefix: string, arrays: Record<string, string>, rows: ReadonlyArray<Record<string, unknown>>): Record<string, unknown[]> {
  return Object.fromEntries(Object.keys(arrays).map((c) => [prefix + c, rows.map((r) => r[c] ?? null)]));
}

export class Outbox {
  private readonly hooks: OutboxHook[] = [];
  private readonly listeners: CommitListener[] = [];
  /** Each account's subscribers as last read, with the account's subscribers_version then (migration 017). */
  private readonly subscribers = new Map<string, { version: number; rows: Subscriber[] }>();

  onWrite(hook: OutboxHook): void {
    this.hooks.push(hook);
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  /**
   * @param numbersAfterCommit PostgreSQL: events are written without a sequence number and numbered
   *   after commit (storage/event-sequencer.ts), so no write holds a per-account lock.
   */
  constructor(private readonly numbersAfterCommit = false) {}

  /**
   * Writes events inside the caller's transaction.
   *
   * On SQLite sequence numbers come from a counter on the account row, bumped here: a single writer
   * commits in that order, so a reader paging with `after=<seq>` never skips an event. It is taken
   * last in every write so it adds no lock-order cycle with the stock rows. On PostgreSQL that
   * row's lock made every write of an account wait for the previous one's commit; the sequencer
   * numbers events after commit instead, keeping the same promise.
   */
  async write(tx: Tx, accountId: string, events: NewEvent[], now: number): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    let first: number | null = null;
    let version: number | null = null;
    if (!this.numbersAfterCommit) {
      const [row] = (await bumpEventSeq(tx, { accountId, n: events.length })).rows;
      first = Number(row.event_seq) - events.length + 1;
      version = Number(row.subscribers_version);
    }
    const stored: StoredEvent[] = events.map((e, i) => ({
      id: timeOrderedId(),
      accountId,
      seq: first === null ? null : first + i,
      type: e.type,
      object: e.object,
      objectId: String(e.objectId),
      action: e.action,
      occurredAt: now,
      data: e.data,
    }));
    const rows = stored.map((e) => ({
      id: e.id,
      account_id: accountId,
      seq: e.seq,
      type: e.type,
      object: e.object,
      object_id: e.objectId,
      action: e.action,
      occurred_ms: e.occurredAt,
      data: JSON.stringify(e.data),
    }));
    if (writesInCtes(tx)) {
      await this.writeOnPostgres(tx, accountId, stored, rows);
      return stored;
    }
    await insertEvents(tx, rows);
    await this.runHooks(tx, stored, await this.subscribersOf(tx, accountId, version), false);
    return stored;
  }

  /** Runs the hooks on these subscribers and writes their work (all of it unless `plainWritten`). */
  private async runHooks(tx: Tx, events: StoredEvent[], subscribers: Subscriber[], plainWritten: boolean): Promise<void> {
    for (const hook of this.hooks) {
      const work = await hook(tx, events, subscribers);
      if (work) await work.writeRest(tx, plainWritten);
    }
  }

  /**
   * PostgreSQL. With a copy of the account's subscribers, the hook renders against it first and its
   * plain deliveries go in the events' own statement, which writes them only if the account's
   * subscribers_version is still the copy's; if it changed meanwhile, the subscribers are read again
   * and rendered for afresh (the events are in by then, their deliveries not). Without a copy, the
   * events' statement reads them and the deliveries follow in their own statement.
   */
  private async writeOnPostgres(tx: Tx, accountId: string, stored: StoredEvent[], rows: EventRow[]): Promise<void> {
    const cached = this.subscribers.get(accountId);
    if (cached && this.hooks.length === 1) {
      let work: HookWork | null;
      try {
        work = await this.hooks[0](tx, stored, cached.rows);
      } catch (err) {
        // Rendering against the copy failed: do not keep a copy that may be what fails.
        this.forget(accountId, cached);
        throw err;
      }
      const plain = work?.plain ?? [];
      const [res] = (
        await insertEventsAndDeliveries(tx, {
          accountId,
          version: cached.version,
          ...arraysOf('e_', EVENT_ARRAYS, rows),
          ...arraysOf('d_', DELIVERY_COLUMN_TYPES, plain),
        } as EventsAndDeliveries)
      ).rows;
      if (res !== undefined && Number(res.subscribers_version) === cached.version) {
        if (this.subscribers.get(accountId) === cached) this.remember(accountId, cached);
        if (work) await work.writeRest(tx, true);
        return;
      }
      this.forget(accountId, cached);
      const fresh = (await readSubscribers(tx, { accountId })).rows;
      this.rememberRows(accountId, fresh);
      await this.runHooks(tx, stored, fresh, false);
      return;
    }
    const subscribers = (await insertEventsReadingSubscribers(tx, rows)).rows;
    this.rememberRows(accountId, subscribers);
    await this.runHooks(tx, stored, subscribers, false);
  }

  /** Drops an account's copy, unless a concurrent write has replaced it with a newer one already. */
  private forget(accountId: string, entry: { version: number; rows: Subscriber[] }): void {
    if (this.subscribers.get(accountId) === entry) this.subscribers.delete(accountId);
  }

  /** Keeps rows read with their version (an account with no subscribers yields no version, so nothing is kept). */
  private rememberRows(accountId: string, rows: Subscriber[]): void {
    if (rows.length > 0) this.remember(accountId, { version: Number(rows[0].subscribers_version), rows });
  }

  /** Keeps (or refreshes) an account's entry as the most recently written; the least recent leaves first. */
  private remember(accountId: string, entry: { version: number; rows: Subscriber[] }): void {
    this.subscribers.delete(accountId);
    this.subscribers.set(accountId, entry);
    if (this.subscribers.size > SUBSCRIBER_CACHE_ACCOUNTS) this.subscribers.delete(this.subscribers.keys().next().value as string);
  }

  /**
   * The account's subscribers, reused from the last read while the account's subscribers_version
   * (read in this transaction, under the write lock) is the one that read saw. Nothing mutates
   * the rows handed out.
   */
  private async subscribersOf(tx: Tx, accountId: string, version: number | null): Promise<Subscriber[]> {
    const cached = this.subscribers.get(accountId);
    if (version !== null && cached?.version === version) {
      this.remember(accountId, cached);
      return cached.rows;
    }
    const rows = (await readSubscribers(tx, { accountId })).rows;
    if (version !== null) this.remember(accountId, { version, rows });
    return rows;
  }

  /** Called by the transaction runner after commit. Listener errors never undo a commit. */
  committed(events: StoredEvent[]): void {
    if (events.length === 0) return;
    this.notify(events);
  }

  /** Wakes in-process listeners for work that is not an event (a delivery retried by hand). */
  nudge(): void {
    this.notify([]);
  }

  private notify(events: StoredEvent[]): void {
    for (const l of this.listeners) {
      try {
        l(events);
      } catch {
        // A wake-up is an optimisation; the dispatcher's poll is the safety net.
      }
    }
  }
}
