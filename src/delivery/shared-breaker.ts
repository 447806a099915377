import type { Store } from '../storage/database.js';
import type { Breakers } from './breaker.js';

/** How often a worker reads the shared pauses (they change rarely; claims in between use the last read). */
const SYNC_MS = 250;

/**
 * The circuit breakers of every worker process, kept in step through the database. A worker whose
 * breaker opens records the pause on the webhook row (until when, and its cooldown); every other
 * worker reads it, mirrors it into its own breakers and claims nothing for that endpoint. When the
 * pause is over, one worker takes the probe (a conditional UPDATE: one winner, with a lease, so a
 * dead prober's probe passes to another); the rest keep waiting. The probe's success lifts the
 * pause for everyone; its failure records the next, longer pause. Without this, N workers spent N
 * probes on a dead endpoint and sent it up to maxInFlight requests each after every pause.
 */
export class SharedBreaker {
  private lastSync = 0;
  private blocked: string[] = [];
  /** Pauses this worker opened and is still writing: a read in between must not forget them. */
  private readonly publishing = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly breakers: Breakers,
    private readonly owner: string,
    private readonly leaseMs: number,
    private readonly log: (msg: string, err?: unknown) => void,
  ) {}

  /** Subscriptions this worker must not claim for: paused, or past the pause with the probe held elsewhere. */
  async sync(now: number): Promise<string[]> {
    if (now - this.lastSync < SYNC_MS) return this.blocked;
    this.lastSync = now;
    try {
      const rows = await this.store.db
        .selectFrom('webhooks')
        .select(['id', 'paused_until_ms', 'pause_cooldown_ms', 'probe_owner', 'probe_until_ms'])
        .where('paused_until_ms', 'is not', null)
        .execute();
      const blocked: string[] = [];
      const shared = new Set<string>();
      for (const r of rows) {
        shared.add(r.id);
        const until = Number(r.paused_until_ms);
        const cooldown = Number(r.pause_cooldown_ms ?? 0);
        const mine = r.probe_owner === this.owner && Number(r.probe_until_ms) > now;
        if (now < until || (!mine && !(await this.takeProbe(r.id, until, now)))) {
          blocked.push(r.id);
          if (now < until) this.breakers.adopt(r.id, until, cooldown);
          continue;
        }
        this.breakers.adopt(r.id, until, cooldown);
      }
      for (const id of this.breakers.paused()) if (!shared.has(id) && !this.publishing.has(id)) this.breakers.forget(id);
      this.blocked = blocked;
    } catch (err) {
      this.log('reading shared breaker state failed', err);
    }
    return this.blocked;
  }

  /**
   * Records an attempt's result in this worker's breaker and shares what changed: a pause it opened,
   * or the end of one (a successful probe). Returns the reopen time when this result opened it.
   */
  async record(id: string, ok: boolean, now: number): Promise<number | null> {
    const wasPaused = this.breakers.state(id, now) !== 'closed';
    const reopenAt = this.breakers.record(id, ok, now);
    try {
      if (reopenAt !== null) {
        this.publishing.add(id);
        const cooldown = this.breakers.cooldownOf(id);
        await this.store.autocommit((db) =>
          db
            .updateTable('webhooks')
            .set({ paused_until_ms: reopenAt, pause_cooldown_ms: cooldown, probe_owner: null, probe_until_ms: null })
            .where('id', '=', id)
            .execute(),
        );
        this.blocked = [...this.blocked, id];
        this.lastSync = 0;
      } else if (ok && wasPaused) {
        await this.store.autocommit((db) =>
          db
            .updateTable('webhooks')
            .set({ paused_until_ms: null, pause_cooldown_ms: null, probe_owner: null, probe_until_ms: null })
            .where('id', '=', id)
            .execute(),
        );
      }
    } catch (err) {
      this.log('sharing breaker state failed', err);
    } finally {
      this.publishing.delete(id);
    }
    return reopenAt;
  }

  private async takeProbe(id: string, pausedUntil: number, now: number): Promise<boolean> {
    const won = await this.store.autocommit((db) =>
      db
        .updateTable('webhooks')
        .set({ probe_owner: this.owner, probe_until_ms: now + this.leaseMs })
        .where('id', '=', id)
        .where('paused_until_ms', '=', pausedUntil)
        .where((eb) => eb.or([eb('probe_owner', 'is', null), eb('probe_until_ms', '<', now)]))
        .executeTakeFirst(),
    );
    return Number(won.numUpdatedRows) === 1;
  }
}
