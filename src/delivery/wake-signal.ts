import type { StoredEvent } from '../events/catalog.js';

/**
 * The accounts a commit's new deliveries belong to: the fan-out writes an event's deliveries under
 * the event's account. Undefined when unknown (a nudge: a delivery retried or replayed by hand).
 */
export function wakeAccounts(events: readonly StoredEvent[]): string[] | undefined {
  if (events.length === 0) return undefined;
  return [...new Set(events.map((e) => e.accountId))];
}

/**
 * Where the dispatcher's loop rests: until a time, or until interrupt() (a wake the claim scheduler
 * decided on, claim-scheduler.ts). The scheduler remembers a wake that comes while the loop is busy
 * and never decides to rest then, so an interrupt with no rest in progress is rightly a no-op.
 */
export class WakeSignal {
  private wakeUp: (() => void) | null = null;

  interrupt(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Waits up to ms, or until interrupted. */
  wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = null;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
