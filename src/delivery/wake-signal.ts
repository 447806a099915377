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
 * How the dispatcher's loop waits: it sleeps until a timeout or until someone raises the signal
 * (a commit, NOTIFY, a completion that made room). A signal raised while the loop is busy is kept
 * (`raised`), so the next wait returns at once instead of missing it.
 */
export class WakeSignal {
  /** Raised since the loop last cleared it. */
  raised = false;
  private wakeUp: (() => void) | null = null;

  raise(): void {
    this.raised = true;
    const w = this.wakeUp;
    this.wakeUp = null;
    w?.();
  }

  /** Waits up to ms, or not at all when the signal is already raised. */
  wait(ms: number): Promise<void> {
    if (this.raised) return Promise.resolve();
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
