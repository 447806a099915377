import type { Insertable } from 'kysely';
import type { StoredEvent } from '../../events/catalog.js';
import type { CommitListener, Outbox } from '../../events/outbox.js';
import type { DeliveryTable } from '../../storage/schema.js';
import type { Subscription } from '../../webhooks/subscription-row.js';
import type { ClaimedDelivery } from '../claim.js';
import type { HandoffTarget } from './target.js';

/** What a write leased: given after its commit, unreserved if it never commits. */
interface Lease {
  owner: string;
  deliveries: ClaimedDelivery[];
  subscriptions: Subscription[];
  /** Every delivery the write made is in it: its commit leaves nothing to claim. */
  all: boolean;
}

/** Kept for a committed write whose every delivery was given (the deliveries themselves are let go). */
const GAVE_ALL = 'gave all';

/**
 * The writing side of the handoff (index.ts), one per domain: in the write the fan-out leases what
 * the connected dispatcher can take, after the commit they are given to it, and a write that never
 * commits (rolled back, or run again) gives its reservation back. Coalesced deliveries (their row
 * may fold into an older one), deliveries due later and those of a paused endpoint are left to the
 * claim.
 */
export class HandoffWriter {
  private target: HandoffTarget | null = null;
  private readonly leases = new WeakMap<StoredEvent[], Lease | typeof GAVE_ALL>();

  constructor(private readonly outbox: Outbox) {
    outbox.onCommit((events) => this.committed(events));
    outbox.onAbandon((events) => this.abandoned(events));
  }

  /** The dispatcher this process hands to, once it takes deliveries. */
  connect(target: HandoffTarget | null): void {
    this.target = target;
  }

  /** Inside the write, before its deliveries are inserted: leases those the dispatcher can take. */
  lease(events: StoredEvent[], rows: Array<Insertable<DeliveryTable>>, subs: Subscription[], now: number): void {
    // A dispatcher with no room at all (the common case under a burst) costs no filtering.
    if (!this.target?.ownerFor(1)) return;
    const paused = new Set(subs.filter((s) => (s.pausedUntil ?? 0) > now).map((s) => s.id));
    const eligible = rows.filter((r) => r.coalesce_key === null && Number(r.next_attempt_ms) <= now && !paused.has(r.webhook_id));
    const owner = eligible.length > 0 ? this.target.reserve(eligible.length) : null;
    if (!owner) return;
    for (const r of eligible) {
      r.lease_owner = owner;
      r.next_attempt_ms = now + this.target.leaseDurationMs;
    }
    const leased = new Set(eligible.map((r) => r.webhook_id));
    this.leases.set(events, {
      owner,
      all: eligible.length === rows.length,
      subscriptions: subs.filter((s) => leased.has(s.id)),
      deliveries: eligible.map((r) => ({
        id: r.id,
        accountId: r.account_id,
        subscriptionId: r.webhook_id,
        eventId: r.event_id ?? null,
        eventType: r.event_type,
        attempts: 0,
        url: r.url,
        headers: JSON.parse(r.headers) as Record<string, string>,
        body: r.body,
        createdMs: Number(r.created_ms),
      })),
    });
  }

  /**
   * Every delivery of these committed events was given to this process's dispatcher: nothing is
   * there to claim, here or in another process.
   */
  gaveAll(events: StoredEvent[]): boolean {
    return events.length > 0 && this.leases.get(events) === GAVE_ALL;
  }

  /**
   * Listens to the commits that left deliveries to claim (and to nudges): the wake-ups of claims.
   * Registered after the writer's own listener, so it is told after the gift.
   */
  onClaimable(listener: CommitListener): void {
    this.outbox.onCommit((events) => {
      if (!this.gaveAll(events)) listener(events);
    });
  }

  private committed(events: StoredEvent[]): void {
    const lease = this.leases.get(events);
    if (lease === undefined || lease === GAVE_ALL) return;
    if (lease.all) this.leases.set(events, GAVE_ALL);
    else this.leases.delete(events);
    this.target?.give(lease.deliveries, lease.subscriptions, lease.owner);
  }

  /** What the write leased was never written: its reservation is given back. */
  private abandoned(events: StoredEvent[]): void {
    const lease = this.leases.get(events);
    this.leases.delete(events);
    if (lease !== undefined && lease !== GAVE_ALL) this.target?.unreserve(lease.deliveries.length, lease.owner);
  }
}
