/**
 * The dispatcher's send capacity and who holds it. A worker has `concurrency` slots; every claimed
 * delivery holds one from the claim (queued) until its result is decided (in flight). One account
 * holds at most `accountShare` deliveries in flight, however many subscriptions and however large
 * their `maxInFlight`: an account whose endpoints hang (a black hole answering after the timeout)
 * ties up its own share, never the slots another account's deliveries need. Within the account, one
 * endpoint holds at most half the share, so one black hole leaves its account's other webhooks room.
 *
 * Claims leave out accounts whose load (queued + in flight) has reached their share, and one claim
 * brings at most `accountShare` rows, so an account's load stays below twice its share and the rest
 * of the slots stay free for the others. The rows a claim brings beyond an account's share are kept,
 * not released: releasing them would make a busy account claim a batch and give back all but one of
 * it for every delivery sent.
 */
export class SlotCounts {
  inFlightTotal = 0;
  queuedTotal = 0;
  private readonly subInFlight = new Map<string, number>();
  private readonly accountInFlight = new Map<string, number>();
  /** Queued + in flight, per account. */
  private readonly accountLoad = new Map<string, number>();

  constructor(
    readonly concurrency: number,
    readonly accountShare: number,
    /** Told the load (queued + in flight) after every change (the handoff publishes it, handoff/taker.ts). */
    private readonly onLoad: (load: number) => void = () => {},
  ) {}

  /** What one subscription may have in flight: its own maxInFlight, at most half its account's share. */
  endpointLimit(maxInFlight: number): number {
    return Math.min(maxInFlight, Math.max(1, Math.floor(this.accountShare / 2)));
  }

  /** Slots neither in flight nor queued. */
  room(): number {
    return this.concurrency - this.inFlightTotal - this.queuedTotal;
  }

  /** How many rows the next claim may bring. */
  claimLimit(batchSize: number): number {
    return Math.min(batchSize, this.room(), this.accountShare);
  }

  /** Accounts a claim leaves out: their load has reached their share. */
  accountsAtShare(): string[] {
    const out: string[] = [];
    for (const account of this.accountLoad.keys()) if (this.atShare(account)) out.push(account);
    return out;
  }

  /** The account's load has reached its share: claims leave it out. */
  atShare(accountId: string): boolean {
    return (this.accountLoad.get(accountId) ?? 0) >= this.accountShare;
  }

  /** The account's whole share is in flight: none of its deliveries may start. */
  accountBusy(accountId: string): boolean {
    return (this.accountInFlight.get(accountId) ?? 0) >= this.accountShare;
  }

  subscriptionInFlight(subscriptionId: string): number {
    return this.subInFlight.get(subscriptionId) ?? 0;
  }

  /** May one more of this subscription's deliveries start: its own limit and its account's share. */
  canStart(accountId: string, subscriptionId: string, maxInFlight: number): boolean {
    return this.subscriptionInFlight(subscriptionId) < this.endpointLimit(maxInFlight) && !this.accountBusy(accountId);
  }

  queued(accountId: string, n = 1): void {
    this.queuedTotal += n;
    bump(this.accountLoad, accountId, n);
    this.onLoad(this.queuedTotal + this.inFlightTotal);
  }

  /** Queued deliveries given back (released, breaker opened): they hold no slot any more. */
  unqueued(accountId: string, n = 1): void {
    this.queuedTotal -= n;
    bump(this.accountLoad, accountId, -n);
    this.onLoad(this.queuedTotal + this.inFlightTotal);
  }

  started(accountId: string, subscriptionId: string): void {
    this.queuedTotal--;
    this.inFlightTotal++;
    bump(this.subInFlight, subscriptionId, 1);
    bump(this.accountInFlight, accountId, 1);
  }

  finished(accountId: string, subscriptionId: string): void {
    this.inFlightTotal--;
    bump(this.subInFlight, subscriptionId, -1);
    bump(this.accountInFlight, accountId, -1);
    bump(this.accountLoad, accountId, -1);
    this.onLoad(this.queuedTotal + this.inFlightTotal);
  }
}

/** Adds to a counter and forgets it at zero, so the maps hold only accounts and subscriptions with work. */
function bump(map: Map<string, number>, key: string, n: number): void {
  const v = (map.get(key) ?? 0) + n;
  if (v === 0) map.delete(key);
  else map.set(key, v);
}
