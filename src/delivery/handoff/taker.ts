import type { Subscription } from '../../webhooks/subscription-row.js';
import type { ClaimedDelivery } from '../claim.js';
import { HandoffCount } from './count.js';
import { handoffTarget, type HandoffTarget } from './target.js';

export interface TakerOptions {
  /** The dispatcher's lease owner. */
  owner: string;
  /** One account's share of the send slots: no account gets more through handoffs than a claim would give it. */
  limit: number;
  leaseDurationMs: number;
  /** The count shared with the thread whose writes hand over (a new one when absent). */
  buffer?: SharedArrayBuffer;
  /** Queues deliveries behind their subscriptions, as a claim's are (the dispatcher's). */
  accept(deliveries: ClaimedDelivery[], subscriptions: Subscription[]): Promise<void>;
  /** Gives the rows' lease back to the store now, for deliveries given while the dispatcher stops. */
  release(ids: string[]): Promise<void>;
  log(msg: string, err?: unknown): void;
}

/**
 * The dispatcher's side of the handoff (index.ts). It is the target of the writers of its own
 * thread and takes what the HTTP thread gives across threads (give()); it keeps, of what it was
 * given, which deliveries the dispatcher holds, so that the load it publishes counts those once
 * (in the count's outstanding, not also in the load), and frees each one's share of the count
 * exactly once when it ends.
 *
 * The dispatcher tells it three things: held(d) when it queues a delivery, ended(d) when one
 * leaves it (its attempt made or cancelled, released, given back from its queue), and load(n)
 * whenever its queued + in-flight total changes. For a delivery it was not given (a claimed one)
 * held and ended do nothing.
 * Order: held(d) once d counts in the load, ended(d) while it still does. The load published in
 * between is then one too high, never too low, and too low would let a write reserve past the limit.
 */
export class HandoffTaker implements HandoffTarget {
  private readonly count: HandoffCount;
  private readonly target: HandoffTarget;
  /** The deliveries given to this dispatcher and not ended: false while given, true once held. */
  private readonly given = new WeakMap<ClaimedDelivery, boolean>();
  private heldCount = 0;
  private lastLoad = 0;
  private taking = false;

  constructor(private readonly opts: TakerOptions) {
    this.count = new HandoffCount(opts.buffer);
    this.count.setLimit(opts.limit);
    this.target = handoffTarget(
      () => ({ count: this.count, owner: opts.owner, taking: this.taking }),
      opts.leaseDurationMs,
      (deliveries, subscriptions) => void this.take(deliveries, subscriptions),
    );
  }

  /** The dispatcher started: writes may lease to it. */
  open(): void {
    this.taking = true;
  }

  /** The dispatcher is stopping: no write leases to it any more, and what is given meanwhile is released. */
  close(): void {
    this.taking = false;
  }

  ownerFor(count: number): string | null {
    return this.target.ownerFor(count);
  }
  reserve(count: number): string | null {
    return this.target.reserve(count);
  }
  unreserve(count: number, owner: string): void {
    this.target.unreserve(count, owner);
  }
  get leaseDurationMs(): number {
    return this.opts.leaseDurationMs;
  }
  give(deliveries: ClaimedDelivery[], subscriptions: Subscription[], owner: string): void {
    this.target.give(deliveries, subscriptions, owner);
  }

  /** The dispatcher queued `d`. */
  held(d: ClaimedDelivery): void {
    if (this.given.get(d) !== false) return;
    this.given.set(d, true);
    this.heldCount++;
    this.publish();
  }

  /** `d` left the dispatcher: its attempt made or cancelled, released, or given back from its queue. */
  ended(d: ClaimedDelivery): void {
    const held = this.given.get(d);
    if (held === undefined) return;
    this.given.delete(d);
    if (held) {
      this.heldCount--;
      this.publish();
    }
    this.count.free(1);
  }

  /** The dispatcher's queued + in-flight total, given ones included. */
  load(total: number): void {
    this.lastLoad = total;
    this.publish();
  }

  private publish(): void {
    this.count.setLoad(this.lastLoad - this.heldCount);
  }

  private async take(deliveries: ClaimedDelivery[], subscriptions: Subscription[]): Promise<void> {
    for (const d of deliveries) this.given.set(d, false);
    try {
      if (!this.taking) {
        // Stopping: give them back at once rather than leave them leased until the lease runs out.
        try {
          await this.opts.release(deliveries.map((d) => d.id));
        } finally {
          for (const d of deliveries) this.ended(d);
        }
        return;
      }
      await this.opts.accept(deliveries, subscriptions);
    } catch (err) {
      // Still leased to this owner: the heartbeat keeps them, and a claim after the lease takes them.
      this.opts.log('taking handed-off deliveries failed', err);
    }
  }
}
