import { SlotCounts } from './counts.js';

export { SlotCounts };

/** What the slots need of a delivery: which subscription it goes to, of which account. */
export interface Slotted {
  accountId: string;
  subscriptionId: string;
}

/** A send ended and its slot is free: the facts the claim scheduler weighs (claim-scheduler.ts `completed`). */
export interface Completion {
  /** No room for a claim just before the slot was freed. */
  wasFull: boolean;
  wasAtShare: boolean;
  atShare: boolean;
  /** The subscription still has queued work and no free slot: a claim leaves it out anyway. */
  subscriptionAtLimit: boolean;
}

export interface SlotsWork<D extends Slotted> {
  /** The subscription as last read; a queue of one unknown here is not started. */
  limitOf(subscriptionId: string): { accountId: string; maxInFlight: number } | undefined;
  /** Asked before each start; false stops starting this subscription's queue for now (its breaker). */
  mayStart(subscriptionId: string): boolean;
  /** Sends one delivery; its slot is freed when the promise settles. */
  send(d: D): Promise<void>;
  /** A queued or sent delivery leaves, told while it still counts in the load. */
  leaving(d: D): void;
  /** A send ended and its slot was freed, and the queues that slot lets go were started. */
  completed(c: Completion): void;
  /** The load (queued + in flight) after every change. */
  onLoad?(load: number): void;
}

/**
 * The send slots with their queues: every delivery the dispatcher holds is queued behind its
 * subscription here (counting against the account's share from then on) until a slot lets it
 * start; its end frees the slot. Who starts when is decided here alone: queue() then start() for
 * the subscriptions that got work; at the end of a send, its own subscription's queue, then, when
 * the account's whole share was in flight, the queues of the account's other subscriptions (they
 * may have been waiting for exactly that slot). Capacity and shares are counts.ts's.
 */
export class SendSlots<D extends Slotted> {
  private readonly counts: SlotCounts;
  private readonly queues = new Map<string, D[]>();

  constructor(
    concurrency: number,
    accountShare: number,
    private readonly batchSize: number,
    private readonly work: SlotsWork<D>,
  ) {
    this.counts = new SlotCounts(concurrency, accountShare, (load) => work.onLoad?.(load));
  }

  /** How many rows the next claim may bring (0: no room). */
  claimLimit(): number {
    return this.counts.claimLimit(this.batchSize);
  }

  /** Accounts a claim leaves out: their load has reached their share. */
  accountsAtShare(): string[] {
    return this.counts.accountsAtShare();
  }

  atShare(accountId: string): boolean {
    return this.counts.atShare(accountId);
  }

  /** Subscriptions a claim leaves out: queued work and no free slot. */
  subscriptionsAtLimit(): string[] {
    return [...this.queues.keys()].filter((id) => this.atLimit(id));
  }

  /** Nothing queued, nothing in flight. */
  get empty(): boolean {
    return this.counts.inFlightTotal === 0 && this.counts.queuedTotal === 0;
  }

  get inFlight(): number {
    return this.counts.inFlightTotal;
  }

  /** Holds a delivery behind its subscription; start() sends it when a slot allows. */
  queue(d: D): void {
    let q = this.queues.get(d.subscriptionId);
    if (!q) this.queues.set(d.subscriptionId, (q = []));
    q.push(d);
    this.counts.queued(d.accountId);
  }

  /** Starts as many queued deliveries of one subscription as its limit, its account's share and mayStart allow. */
  start(subscriptionId: string, q = this.queues.get(subscriptionId)): void {
    const sub = this.work.limitOf(subscriptionId);
    if (!q || !sub) return;
    while (q.length > 0 && this.counts.canStart(sub.accountId, subscriptionId, sub.maxInFlight)) {
      if (!this.work.mayStart(subscriptionId)) break;
      const d = q.shift() as D;
      this.counts.started(d.accountId, subscriptionId);
      void this.work.send(d).finally(() => this.ended(d));
    }
    if (q.length === 0 && this.queues.get(subscriptionId) === q) this.queues.delete(subscriptionId);
  }

  /** Takes a subscription's queue out (its breaker opened): they hold no slot any more. */
  giveBack(subscriptionId: string): D[] {
    const q = this.queues.get(subscriptionId) ?? [];
    this.queues.delete(subscriptionId);
    this.unqueue(q);
    return q;
  }

  /** Takes every queue out (stopping). */
  giveBackAll(): D[] {
    const all = [...this.queues.values()].flat();
    this.queues.clear();
    this.unqueue(all);
    return all;
  }

  private unqueue(ds: D[]): void {
    for (const d of ds) {
      this.work.leaving(d);
      this.counts.unqueued(d.accountId);
    }
  }

  private ended(d: D): void {
    const { accountId, subscriptionId } = d;
    const wasFull = this.claimLimit() <= 0;
    const wasAtShare = this.counts.atShare(accountId);
    const accountWasBusy = this.counts.accountBusy(accountId);
    this.work.leaving(d);
    this.counts.finished(accountId, subscriptionId);
    this.start(subscriptionId);
    if (accountWasBusy) for (const [id, other] of this.queues) if (this.work.limitOf(id)?.accountId === accountId) this.start(id, other);
    this.work.completed({ wasFull, wasAtShare, atShare: this.counts.atShare(accountId), subscriptionAtLimit: this.atLimit(subscriptionId) });
  }

  private atLimit(subscriptionId: string): boolean {
    const q = this.queues.get(subscriptionId);
    const sub = this.work.limitOf(subscriptionId);
    return q !== undefined && sub !== undefined && this.counts.subscriptionInFlight(subscriptionId) + q.length >= this.counts.endpointLimit(sub.maxInFlight);
  }
}
