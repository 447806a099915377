import type { Store } from '../../storage/database.js';
import type { PauseRow } from './decisions.js';

/**
 * The pause shared by every worker, kept on the webhook row (migration 012): until when, its
 * cooldown, and who holds the probe after it (owner and lease). Each write is one autocommit
 * statement; the probe is taken by a conditional UPDATE, so exactly one worker wins it.
 */

/** Every endpoint paused by some worker, or past its pause and not yet lifted. */
export async function readPauses(store: Store): Promise<PauseRow[]> {
  const rows = await store.db
    .selectFrom('webhooks')
    .select(['id', 'paused_until_ms', 'pause_cooldown_ms', 'probe_owner', 'probe_until_ms'])
    .where('paused_until_ms', 'is not', null)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    until: Number(r.paused_until_ms),
    cooldownMs: Number(r.pause_cooldown_ms ?? 0),
    probeOwner: r.probe_owner,
    probeUntil: r.probe_until_ms === null ? null : Number(r.probe_until_ms),
  }));
}

/** Records a pause this worker opened; a probe held for the previous pause is dropped with it. */
export async function publishPause(store: Store, id: string, until: number, cooldownMs: number): Promise<void> {
  await store.autocommit((db) =>
    db
      .updateTable('webhooks')
      .set({ paused_until_ms: until, pause_cooldown_ms: cooldownMs, probe_owner: null, probe_until_ms: null })
      .where('id', '=', id)
      .execute(),
  );
}

/** A probe succeeded: the endpoint is open to every worker again. */
export async function liftPause(store: Store, id: string): Promise<void> {
  await store.autocommit((db) =>
    db
      .updateTable('webhooks')
      .set({ paused_until_ms: null, pause_cooldown_ms: null, probe_owner: null, probe_until_ms: null })
      .where('id', '=', id)
      .execute(),
  );
}

/**
 * Takes the probe of the pause that ended at `pausedUntil`, unless another worker holds it with a
 * live lease; a prober that died lets its lease run out. True when this worker won it.
 */
export async function takeProbe(store: Store, id: string, pausedUntil: number, owner: string, leaseUntil: number, now: number): Promise<boolean> {
  const won = await store.autocommit((db) =>
    db
      .updateTable('webhooks')
      .set({ probe_owner: owner, probe_until_ms: leaseUntil })
      .where('id', '=', id)
      .where('paused_until_ms', '=', pausedUntil)
      .where((eb) => eb.or([eb('probe_owner', 'is', null), eb('probe_until_ms', '<', now)]))
      .executeTakeFirst(),
  );
  return Number(won.numUpdatedRows) === 1;
}
