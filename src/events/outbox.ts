import { timeOrderedId } from '../storage/time-ordered-id.js';
import type { Tx } from '../storage/database.js';
import { readSubscribers, type EventRows, type Subscriber } from '../storage/event-rows.js';
import type { NewEvent, StoredEvent } from './catalog.js';

export type { Subscriber } from '../storage/event-rows.js';

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

/** How many accounts' subscribers a process keeps between writes (the least recently written leave first). */
const SUBSCRIBER_CACHE_ACCOUNTS = 1_000;

export class Outbox {
  private readonly hooks: OutboxHook[] = [];
  private readonly listeners: CommitListener[] = [];
  private readonly abandonListeners: AbandonListener[] = [];
  /** Each account's subscribers as last read, with the account's subscribers_version then (migration 017), where the write reads that version. */
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

  /** @param rows how this store numbers and inserts events (Store.events). */
  constructor(private readonly rows: EventRows) {}

  /**
   * Writes events inside the caller's transaction.
   *
   * Sequence numbers are taken here, last in the write, where the store numbers events in the
   * write (a counter on the account row: no lock-order cycle with the stock rows), or after commit
   * (storage/event-rows.ts); either way a reader paging with `after=<seq>` never skips an event.
   *
   * @param written is told each run's events before the hooks see them, so the caller can report
   *   the runs that never commit (abandoned()) even when a hook or the commit fails.
   */
  async write(tx: Tx, accountId: string, events: NewEvent[], now: number, written?: (events: StoredEvent[]) => void): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const numbered = await this.rows.numberInWrite(tx, accountId, events.length);
    const first = numbered?.first ?? null;
    const version = numbered?.subscribersVersion ?? null;
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
    const subscribers = (await this.rows.insert(tx, rows)) ?? (await this.subscribersOf(tx, accountId, version));
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
