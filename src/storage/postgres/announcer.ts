/**
 * Announces new deliveries to other processes after commit, coalesced: at most one announcement in
 * flight per process, and every request made meanwhile folds into one more after it. A NOTIFY inside
 * each writing transaction made PostgreSQL serialise the commits of all notifying transactions on
 * one database-wide lock; outside them, a burst of writes costs one or two NOTIFYs.
 * A lost announcement delays work by at most one poll interval of the workers that missed it.
 *
 * An announcement names the accounts whose deliveries it announces (up to MAX_NAMED; more, or a
 * request that names none, make one that names none): a worker does not claim for an account at its
 * share, whose new rows no claim of that worker can take (delivery/claim-scheduler.ts, wake()).
 */
export const MAX_NAMED = 16;

/** The payload of an announcement: the accounts, comma-separated, or '' for "unknown". */
export function announcementPayload(accounts: ReadonlySet<string> | 'unknown'): string {
  return accounts === 'unknown' || accounts.size > MAX_NAMED ? '' : [...accounts].join(',');
}

/** The accounts an announcement names; undefined when it names none (any account may have new work). */
export function announcedAccounts(payload: string | undefined): string[] | undefined {
  if (!payload) return undefined;
  const ids = payload.split(',', MAX_NAMED + 1);
  return ids.length > MAX_NAMED || ids.some((id) => id === '') ? undefined : ids;
}

export class Announcer {
  private running = false;
  private again = false;
  private closed = false;
  /** The accounts of the requests since the last announcement went out. */
  private accounts: Set<string> | 'unknown' = new Set();

  constructor(
    private readonly send: (payload: string) => Promise<void>,
    private readonly log: (msg: string, err?: unknown) => void,
    /** A burst of commits within this long makes one announcement (a NOTIFY is a round trip). */
    private readonly delayMs = 5,
  ) {}

  /** `accounts`: whose deliveries were committed; undefined when unknown. */
  request(accounts?: readonly string[]): void {
    if (this.closed) return;
    if (accounts === undefined || accounts.length === 0) this.accounts = 'unknown';
    else if (this.accounts !== 'unknown') for (const a of accounts) this.accounts.add(a);
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    if (this.delayMs > 0) setTimeout(() => void this.loop(), this.delayMs);
    else void this.loop();
  }

  close(): void {
    this.closed = true;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const payload = announcementPayload(this.accounts);
      this.accounts = new Set();
      try {
        await this.send(payload);
      } catch (err) {
        if (!this.closed) this.log('announcing new deliveries failed; other workers find them at their next poll', err);
      }
    } while (this.again && !this.closed);
    this.running = false;
  }
}
