import type { Store } from '../../storage/database.js';
import { admission, afterAttempt, liftedElsewhere, pauseMeans, readPause, type Admission } from './decisions.js';
import { Breakers, DEFAULT_BREAKER, type BreakerOptions, type BreakerState } from './local.js';
import { liftPause, publishPause, readPauses, takeProbe } from './pause-row.js';

export { DEFAULT_BREAKER, type Admission, type BreakerOptions, type BreakerState };

/** How often a worker reads the shared pauses (they change rarely; claims in between use the last read). */
const READ_EVERY_MS = 250;

export interface EndpointBreakerOptions {
  /** The dispatcher's lease owner: it names the worker holding a probe. */
  owner: string;
  /** How long a taken probe is this worker's before another may take it. */
  leaseMs: number;
  breaker?: BreakerOptions;
  log: (msg: string, err?: unknown) => void;
}

/** What an attempt's result changed for its endpoint: the operator log says so. */
export type BreakerChange = { change: 'paused'; reopenAt: number; cooldownMs: number } | { change: 'resumed' } | { change: null };

/**
 * The circuit breaker of every endpoint, as the dispatcher sees it: one object, three questions.
 * - blocked(now): the endpoints a claim must leave out (open here, or held by a pause or a probe
 *   of another worker);
 * - maySend(id, now): whether a queued delivery may go out, and if not, whether to give the queue
 *   back until the reopen (decisions.ts `admission`);
 * - recorded(id, ok, now, protections): an attempt's result, and what it changed.
 *
 * Inside: this worker's breakers (local.ts: threshold, cooldown doubling to a maximum, one
 * half-open probe) and the pause every worker shares on the webhook row (pause-row.ts). A worker
 * whose breaker opens records the pause; the others read it at most every 250 ms, mirror it, and
 * claim nothing for the endpoint. When it is over, one worker takes the probe (a conditional
 * UPDATE with a lease, so a dead prober's probe passes to another); the rest stay held. The probe's
 * success lifts the pause for all; its failure records the next, longer one. Unshared, N workers
 * spent N probes on a dead endpoint and sent it their whole limit after every pause.
 */
export class EndpointBreakers {
  private readonly local: Breakers;
  private lastRead = 0;
  /** What the last read of the pause rows holds here. */
  private heldByRows: string[] = [];
  /** Pauses this worker opened and is still writing: a read in between must not lift them. */
  private readonly publishing = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly opts: EndpointBreakerOptions,
  ) {
    this.local = new Breakers(opts.breaker ?? DEFAULT_BREAKER);
  }

  /** Endpoints nothing may be claimed for at `now`. */
  async blocked(now: number): Promise<string[]> {
    const rows = await this.readRows(now);
    return [...new Set([...this.local.blocked(now), ...rows])];
  }

  /** Whether the next queued delivery of the endpoint may go out; in half-open this hands out the one probe. */
  maySend(id: string, now: number): Admission {
    return admission(this.local.acquire(id, now), this.local.reopenAt(id), now);
  }

  /**
   * Records an attempt's result (only when the format has stockhook's protections) and shares what
   * changed: a pause it opened, or the end of one. A lost database is logged; this worker's breaker
   * still holds the result.
   */
  async recorded(id: string, ok: boolean, now: number, protections: boolean): Promise<BreakerChange> {
    const wasPaused = this.local.state(id, now) !== 'closed';
    const reopenAt = protections ? this.local.record(id, ok, now) : null;
    const { change, write } = afterAttempt({ protections, wasPaused, ok, reopenAt });
    try {
      if (write === 'publish' && reopenAt !== null) {
        this.publishing.add(id);
        await publishPause(this.store, id, reopenAt, this.local.cooldownOf(id));
        this.heldByRows = [...this.heldByRows, id];
        this.lastRead = 0;
      } else if (write === 'lift') await liftPause(this.store, id);
    } catch (err) {
      this.opts.log('sharing breaker state failed', err);
    } finally {
      this.publishing.delete(id);
    }
    if (change === 'paused' && reopenAt !== null) return { change, reopenAt, cooldownMs: this.local.cooldownOf(id) };
    return change === 'resumed' ? { change } : { change: null };
  }

  /** closed, open or half-open, as this worker sees it. */
  state(id: string, now: number): BreakerState {
    return this.local.state(id, now);
  }

  /** When an open breaker lets the next probe through; null when it is not open. */
  reopenAt(id: string): number | null {
    return this.local.reopenAt(id);
  }

  /** Endpoints this worker sees open or half-open. */
  paused(): string[] {
    return this.local.paused();
  }

  /** For /metrics: how many endpoints are in each state. */
  counts(now: number): Record<BreakerState, number> {
    return this.local.counts(now);
  }

  /** The endpoints the pause rows hold here, read at most every READ_EVERY_MS; the last read otherwise. */
  private async readRows(now: number): Promise<string[]> {
    if (now - this.lastRead < READ_EVERY_MS) return this.heldByRows;
    this.lastRead = now;
    try {
      const held: string[] = [];
      const recorded = new Set<string>();
      for (const row of await readPauses(this.store)) {
        recorded.add(row.id);
        const reading = readPause(row, now, this.opts.owner);
        const settled =
          reading !== 'probe open'
            ? reading
            : (await takeProbe(this.store, row.id, row.until, this.opts.owner, now + this.opts.leaseMs, now))
              ? 'probe won'
              : 'probe lost';
        const { hold, mirror } = pauseMeans(settled);
        if (hold) held.push(row.id);
        if (mirror) this.local.adopt(row.id, row.until, row.cooldownMs);
      }
      for (const id of liftedElsewhere(this.local.paused(), recorded, this.publishing)) this.local.forget(id);
      this.heldByRows = held;
    } catch (err) {
      this.opts.log('reading shared breaker state failed', err);
    }
    return this.heldByRows;
  }
}
