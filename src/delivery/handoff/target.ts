import type { Subscription } from '../../webhooks/subscription-row.js';
import type { ClaimedDelivery } from '../claim.js';
import type { HandoffCount } from './count.js';

/** What a HandoffWriter hands to: a dispatcher in this thread (HandoffTaker) or in the delivery thread. */
export interface HandoffTarget {
  /** The owner to lease to, or null while the dispatcher takes nothing (starting, stopping, no room for `count`). */
  ownerFor(count: number): string | null;
  /** Like ownerFor, and reserves `count` at once (HandoffCount.reserve): null when it could not. */
  reserve(count: number): string | null;
  /** A reservation whose write rolled back, to the `owner` reserve() returned. */
  unreserve(count: number, owner: string): void;
  readonly leaseDurationMs: number;
  /**
   * After the commit that wrote them: the leased deliveries are the dispatcher's to send, with the
   * subscriptions the write rendered them for (as it read them), so taking them reads nothing.
   * `owner` is the one reserve() returned.
   */
  give(deliveries: ClaimedDelivery[], subscriptions: Subscription[], owner: string): void;
}

/** The dispatcher a target hands to, as it is now (a restarted delivery thread is a new one). */
export interface TakingSide {
  readonly count: HandoffCount;
  /** The lease owner the dispatcher sends under. */
  readonly owner: string;
  /** Whether it takes deliveries now: ready and not stopping. */
  readonly taking: boolean;
}

/**
 * The one implementation of the target's rules, for both places a dispatcher runs. A reservation
 * or a gift is the owner's that reserve() returned: a dispatcher that is not that owner any more
 * (a restarted delivery thread has a new owner and a new count) neither frees the reservation (it
 * died with its count) nor sends the deliveries, which would go out under an owner the rows do not
 * name, their results lost and the deliveries sent twice; their lease runs out and a claim takes them.
 */
export function handoffTarget(
  current: () => TakingSide,
  leaseDurationMs: number,
  deliver: (deliveries: ClaimedDelivery[], subscriptions: Subscription[], owner: string) => void,
): HandoffTarget {
  return {
    ownerFor(count) {
      const s = current();
      return s.taking && s.count.hasRoom(count) ? s.owner : null;
    },
    reserve(count) {
      const s = current();
      return s.taking && s.count.reserve(count) ? s.owner : null;
    },
    unreserve(count, owner) {
      const s = current();
      if (s.owner === owner) s.count.free(count);
    },
    leaseDurationMs,
    give(deliveries, subscriptions, owner) {
      if (current().owner === owner) deliver(deliveries, subscriptions, owner);
    },
  };
}
