/**
 * One tenant must not take every send slot of a worker: an account holds at most `cap` deliveries
 * here at a time (queued or in flight, over all its endpoints). A tenant with black-holed endpoints
 * waits on its own share while every other account keeps the rest (issue: four 256-slot webhooks
 * of one account to a 30 s endpoint held all 256 slots and delayed another account by 60 s).
 */
export class AccountShare {
  private readonly held = new Map<string, number>();

  constructor(readonly cap: number) {}

  /** Takes a slot for the account; false when it already holds its share. */
  take(accountId: string): boolean {
    const n = this.held.get(accountId) ?? 0;
    if (n >= this.cap) return false;
    this.held.set(accountId, n + 1);
    return true;
  }

  give(accountId: string, n = 1): void {
    const left = (this.held.get(accountId) ?? 0) - n;
    if (left > 0) this.held.set(accountId, left);
    else this.held.delete(accountId);
  }

  isFull(accountId: string): boolean {
    return (this.held.get(accountId) ?? 0) >= this.cap;
  }

  /** Accounts a claim must leave out: their share is taken. */
  full(): string[] {
    return [...this.held].filter(([, n]) => n >= this.cap).map(([id]) => id);
  }

  clear(): void {
    this.held.clear();
  }
}
