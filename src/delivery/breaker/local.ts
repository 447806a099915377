/**
 * This worker's circuit breaker per subscription endpoint, in memory. After `threshold` consecutive
 * failed attempts the breaker opens: nothing is sent to that endpoint (and no attempt is spent) until
 * the cooldown ends; then one probe goes out (half-open). A successful probe closes it; a failed one
 * reopens it with twice the cooldown, up to maxCooldownMs. Pauses other workers opened are mirrored
 * in with adopt() and lifted with forget() (index.ts keeps it in step with the pause row).
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

interface Entry {
  failures: number;
  openUntil: number;
  cooldownMs: number;
  probing: boolean;
}

export interface BreakerOptions {
  threshold: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = { threshold: 5, cooldownMs: 30_000, maxCooldownMs: 10 * 60_000 };

export class Breakers {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: BreakerOptions = DEFAULT_BREAKER) {}

  state(id: string, now: number): BreakerState {
    const e = this.entries.get(id);
    if (!e || e.openUntil === 0) return 'closed';
    return now < e.openUntil ? 'open' : 'half-open';
  }

  /** Whether a request may go out now; in half-open this hands out the single probe. */
  acquire(id: string, now: number): boolean {
    const e = this.entries.get(id);
    if (!e || e.openUntil === 0) return true;
    if (now < e.openUntil || e.probing) return false;
    e.probing = true;
    return true;
  }

  /** When an open breaker lets the next probe through; null when it is not open. */
  reopenAt(id: string): number | null {
    const e = this.entries.get(id);
    return e && e.openUntil !== 0 ? e.openUntil : null;
  }

  /** Subscriptions nothing may be claimed for right now. */
  blocked(now: number): string[] {
    const out: string[] = [];
    for (const [id, e] of this.entries) {
      if (e.openUntil !== 0 && (now < e.openUntil || e.probing)) out.push(id);
    }
    return out;
  }

  /** Records an attempt's result; returns the reopen time when this result opened the breaker. */
  record(id: string, ok: boolean, now: number): number | null {
    let e = this.entries.get(id);
    if (ok) {
      this.entries.delete(id);
      return null;
    }
    if (!e) {
      e = { failures: 0, openUntil: 0, cooldownMs: this.opts.cooldownMs, probing: false };
      this.entries.set(id, e);
    }
    e.failures++;
    if (e.probing) {
      e.probing = false;
      e.cooldownMs = Math.min(e.cooldownMs * 2, this.opts.maxCooldownMs);
      e.openUntil = now + e.cooldownMs;
      return e.openUntil;
    }
    if (e.openUntil === 0 && e.failures >= this.opts.threshold) {
      e.openUntil = now + e.cooldownMs;
      return e.openUntil;
    }
    return null;
  }

  /**
   * Mirrors a pause recorded in the database (pause-row.ts): open until `openUntil`, then one
   * probe. A later pause this worker already knows, or its own probe in flight, wins.
   */
  adopt(id: string, openUntil: number, cooldownMs: number): void {
    const e = this.entries.get(id);
    if (e && (e.probing || e.openUntil >= openUntil)) return;
    this.entries.set(id, { failures: this.opts.threshold, openUntil, cooldownMs, probing: false });
  }

  /** The pause was lifted by another worker's successful probe. */
  forget(id: string): void {
    const e = this.entries.get(id);
    if (e && e.openUntil !== 0 && !e.probing) this.entries.delete(id);
  }

  /** The cooldown of the current or last pause. */
  cooldownOf(id: string): number {
    return this.entries.get(id)?.cooldownMs ?? this.opts.cooldownMs;
  }

  /** Endpoints this worker sees open or half-open. */
  paused(): string[] {
    const out: string[] = [];
    for (const [id, e] of this.entries) if (e.openUntil !== 0) out.push(id);
    return out;
  }

  /** For /metrics: how many endpoints are in each state. */
  counts(now: number): Record<BreakerState, number> {
    const c: Record<BreakerState, number> = { closed: 0, open: 0, 'half-open': 0 };
    for (const id of this.entries.keys()) c[this.state(id, now)]++;
    return c;
  }
}
