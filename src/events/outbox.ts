import { timeOrderedId } from '../storage/time-ordered-id.js';
import type { Tx } from '../storage/database.js';
import { prepared, preparedInsert } from '../storage/prepared.js';
import type { NewEvent, StoredEvent } from './catalog.js';

/**
 * Something that must happen in the same transaction as the events it is given
 * (the webhook fan-out registers here), so there is never a committed event without it.
 */
export type OutboxHook = (tx: Tx, events: StoredEvent[]) => Promise<void>;

/** Something to run once the transaction has committed (wake the dispatcher). */
export type CommitListener = (events: StoredEvent[]) => void;

// Every write runs these: compiled once (storage/prepared.ts).
const bumpEventSeq = prepared<{ accountId: string; n: number }>()((db, v) =>
  db
    .updateTable('accounts')
    .set((eb) => ({ event_seq: eb('event_seq', '+', v.n) }))
    .where('id', '=', v.accountId)
    .returning('event_seq'),
);

const insertEvents = preparedInsert('events', ['id', 'account_id', 'seq', 'type', 'object', 'object_id', 'action', 'occurred_ms', 'data']);

export class Outbox {
  private readonly hooks: OutboxHook[] = [];
  private readonly listeners: CommitListener[] = [];

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
    if (!this.numbersAfterCommit) {
      const [row] = (await bumpEventSeq(tx, { accountId, n: events.length })).rows;
      first = Number(row.event_seq) - events.length + 1;
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
    await insertEvents(
      tx,
      stored.map((e) => ({
        id: e.id,
        account_id: accountId,
        seq: e.seq,
        type: e.type,
        object: e.object,
        object_id: e.objectId,
        action: e.action,
        occurred_ms: e.occurredAt,
        data: JSON.stringify(e.data),
      })),
    );
    for (const hook of this.hooks) await hook(tx, stored);
    return stored;
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
