import type { Insertable } from 'kysely';
import { timeOrderedId } from '../storage/time-ordered-id.js';
import type { Db, Tx } from '../storage/database.js';
import { writesInCtes } from '../storage/dialect.js';
import { prepared, preparedInsert, preparedRows } from '../storage/prepared.js';
import type { EventTable } from '../storage/schema.js';
import type { NewEvent, StoredEvent } from './catalog.js';

/** The account's enabled subscriptions, with the account's number, slug and plan: who hears of its events. */
export type Subscriber = Awaited<ReturnType<typeof readSubscribers>>['rows'][number];

/**
 * Something that must happen in the same transaction as the events it is given
 * (the webhook fan-out registers here), so there is never a committed event without it. It gets
 * the account's subscribers as read in that transaction.
 */
export type OutboxHook = (tx: Tx, events: StoredEvent[], subscribers: Subscriber[]) => Promise<void>;

/** Something to run once the transaction has committed (wake the dispatcher). */
export type CommitListener = (events: StoredEvent[]) => void;

/** Something to undo when the events a run of a write produced will never commit (it rolled back, or ran again). */
export type AbandonListener = (events: StoredEvent[]) => void;

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
    .select(['accounts.number as account_number', 'accounts.slug as account_slug', 'accounts.plan as account_plan'])
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

export class Outbox {
  private readonly hooks: OutboxHook[] = [];
  private readonly listeners: CommitListener[] = [];
  private readonly abandonListeners: AbandonListener[] = [];
  /** SQLite: each account's subscribers as last read, with the account's subscribers_version then (migration 017). */
  private readonly subscribers = new Map<string, { version: number; rows: Subscriber[] }>();

  onWrite(hook: OutboxHook): void {
    this.hooks.push(hook);
  }

  onCommit(listener: CommitListener): void {
    this.listeners.push(listener);
  }

  onAbandon(listener: AbandonListener): void {
    this.abandonListeners.push(listener);
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
   *
   * @param written is told each run's events before the hooks see them, so the caller can report
   *   the runs that never commit (abandoned()) even when a hook or the commit fails.
   */
  async write(tx: Tx, accountId: string, events: NewEvent[], now: number, written?: (events: StoredEvent[]) => void): Promise<StoredEvent[]> {
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
    let subscribers: Subscriber[];
    if (writesInCtes(tx)) {
      subscribers = (await insertEventsReadingSubscribers(tx, rows)).rows;
    } else {
      await insertEvents(tx, rows);
      subscribers = await this.subscribersOf(tx, accountId, version);
    }
    written?.(stored);
    for (const hook of this.hooks) await hook(tx, stored, subscribers);
    return stored;
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

  /** Keeps an account's entry as the most recently written (the map's order); the least recent leaves first. */
  private remember(accountId: string, entry: { version: number; rows: Subscriber[] }): void {
    this.subscribers.delete(accountId);
    this.subscribers.set(accountId, entry);
    if (this.subscribers.size > SUBSCRIBER_CACHE_ACCOUNTS) this.subscribers.delete(this.subscribers.keys().next().value as string);
  }

  /** Called by the transaction runner after commit. Listener errors never undo a commit. */
  committed(events: StoredEvent[]): void {
    if (events.length === 0) return;
    this.notify(events);
  }

  /** Runs of a write whose events will never commit (rolled back, or run again by a commit group or a retry). */
  abandoned(runs: StoredEvent[][]): void {
    for (const events of runs) {
      for (const l of this.abandonListeners) {
        try {
          l(events);
        } catch {
          // An undo of a handoff's reservation; a failure only stops handing off early.
        }
      }
    }
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
