import type { Subscription } from '../webhooks/subscription-row.js';
import type { ClaimedDelivery } from './claim.js';

/**
 * Fresh deliveries go from the write that made them straight to this process's dispatcher, leased to
 * it in the same INSERT, so they need no claim. A claim is a write statement: on SQLite it waited
 * for the writing thread's next commit group (the write turn), and on PostgreSQL it cost a round
 * trip per wake-up. The lease keeps every guarantee of a claim: the rows are in the database before
 * anything is sent; the dispatcher's heartbeat extends their lease; if the process dies, the lease
 * runs out and any worker claims them (same delivery id). Nothing is handed over before its commit.
 *
 * Handing off stops while the dispatcher's claimed load (queued and in flight) plus what is handed
 * over but not finished would pass its `limit`: one account's share of the send slots. A write
 * reserves its share of the limit when it leases (inside its transaction), and gives it back if it
 * rolls back (Outbox.abandoned), so writes in flight together cannot pass it either. So no account
 * gets more through handoffs than a claim would give it, the other slots stay free for claims (a
 * handoff never makes the dispatcher "full" for other accounts), and memory stays bounded whatever
 * the write rate: beyond it (a slow endpoint, a burst) deliveries are written unleased and claimed
 * as before.
 */
export interface Handoff {
  /** The dispatcher's lease owner, or null while it cannot take deliveries (starting, stopping, at its limit). */
  ownerFor(count: number): string | null;
  /**
   * Like ownerFor, and takes `count` of the limit at once (HandoffCount.reserve), so writes in
   * flight together (a commit group, concurrent transactions) cannot all pass the same check.
   */
  reserve(count: number): string | null;
  /**
   * A reservation whose write rolled back: it never becomes deliveries to give. `owner` is the
   * one reserve() returned (a restarted delivery thread has a new owner and a new count).
   */
  unreserve(count: number, owner: string): void;
  readonly leaseDurationMs: number;
  /**
   * After the commit that wrote them: the leased deliveries are the dispatcher's to send, with the
   * subscriptions the write rendered them for (as it read them), so taking them reads nothing.
   * Their count was reserved when they were leased, to `owner` (the one reserve() returned): a
   * dispatcher that is not that owner any more must not send them (their lease runs out and a claim
   * takes them), or a result written under another owner would be lost and they would go out twice.
   */
  give(deliveries: ClaimedDelivery[], subscriptions: Subscription[], owner: string): void;
}

/**
 * What both sides of a handoff read, in a SharedArrayBuffer so the HTTP thread and the delivery
 * thread see the same numbers: [0] reserved or handed over and not finished (the writing side
 * reserves when it leases, and gives a rolled-back write's reservation back; the dispatcher
 * subtracts as each delivery ends: sent, released or cancelled), [1] the dispatcher's load of
 * claimed deliveries (queued and in flight; the handed-over ones it holds are counted in [0] only),
 * [2] its limit (0 until a dispatcher is there). A count that drifts only stops handing off early; nothing
 * is lost, what is not handed off is claimed.
 */
export class HandoffCount {
  private readonly cells: Int32Array;
  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.cells = new Int32Array(buffer);
  }
  done(n = 1): void {
    Atomics.sub(this.cells, 0, n);
  }
  setLoad(n: number): void {
    Atomics.store(this.cells, 1, n);
  }
  setLimit(n: number): void {
    Atomics.store(this.cells, 2, n);
  }
  /** Whether `n` more may be handed over now. */
  hasRoom(n: number): boolean {
    return Atomics.load(this.cells, 1) + Atomics.load(this.cells, 0) + n <= Atomics.load(this.cells, 2);
  }

  /**
   * Takes `n` of the limit if there is room, atomically: a check and a later add let every write of
   * a commit group (up to 64 on SQLite) or every concurrent transaction (PostgreSQL) pass one check
   * before any of them added, and so hand over up to that many times the limit. The compare-and-swap
   * keeps [0] at or under the limit.
   */
  reserve(n: number): boolean {
    for (;;) {
      const handed = Atomics.load(this.cells, 0);
      if (Atomics.load(this.cells, 1) + handed + n > Atomics.load(this.cells, 2)) return false;
      if (Atomics.compareExchange(this.cells, 0, handed, handed + n) === handed) return true;
    }
  }
}
