/**
 * Announces new deliveries to other processes after commit, coalesced: at most one announcement in
 * flight per process, and every request made meanwhile folds into one more after it. A NOTIFY inside
 * each writing transaction made PostgreSQL serialise the commits of all notifying transactions on
 * one database-wide lock (issue 13); outside them, a burst of writes costs one or two NOTIFYs.
 * A lost announcement delays work by at most one poll interval of the workers that missed it.
 */
export class Announcer {
  private running = false;
  private again = false;
  private closed = false;

  constructor(
    private readonly send: () => Promise<void>,
    private readonly log: (msg: string, err?: unknown) => void,
    /** A burst of commits within this long makes one announcement (a NOTIFY is a round trip). */
    private readonly delayMs = 5,
  ) {}

  request(): void {
    if (this.closed) return;
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
      try {
        await this.send();
      } catch (err) {
        if (!this.closed) this.log('announcing new deliveries failed; other workers find them at their next poll', err);
      }
    } while (this.again && !this.closed);
    this.running = false;
  }
}
