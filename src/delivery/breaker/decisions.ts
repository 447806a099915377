/**
 * The endpoint breaker's decisions, as pure functions of what it knows (table-tested in
 * test/unit/breaker-decisions.test.ts); index.ts reads and writes the state they decide on.
 */

/** A pause as the webhook row records it (pause-row.ts). */
export interface PauseRow {
  id: string;
  /** Paused until then; past it, one probe may go out. */
  until: number;
  cooldownMs: number;
  /** The worker holding the probe after the pause, and until when its lease holds it. */
  probeOwner: string | null;
  probeUntil: number | null;
}

/**
 * What a worker makes of a pause row it read: still `paused`; over, with this worker holding the
 * probe (`probe mine`); or over, with the probe to be asked for on the row (`probe open`: free, or
 * held by another worker whose lease may have run out).
 */
export type PauseReading = 'paused' | 'probe mine' | 'probe open';

export function readPause(row: PauseRow, now: number, owner: string): PauseReading {
  if (now < row.until) return 'paused';
  if (row.probeOwner === owner && row.probeUntil !== null && row.probeUntil > now) return 'probe mine';
  return 'probe open';
}

/**
 * What a pause means to this worker once the probe is settled: whether claims leave the endpoint
 * out (`hold`), and whether its own breaker mirrors the pause (`mirror`: open until then, then the
 * one probe). A probe another worker won holds the endpoint without opening it here, so this worker
 * has nothing to probe when that pause is lifted.
 */
export function pauseMeans(reading: 'paused' | 'probe mine' | 'probe won' | 'probe lost'): { hold: boolean; mirror: boolean } {
  switch (reading) {
    case 'paused':
      return { hold: true, mirror: true };
    case 'probe mine':
    case 'probe won':
      return { hold: false, mirror: true };
    case 'probe lost':
      return { hold: true, mirror: false };
  }
}

/**
 * Pauses this worker's breaker holds that no row records any more: another worker's probe lifted
 * them. A pause this worker opened and is still writing is not among them: a read between its
 * opening and its write would lift it.
 */
export function liftedElsewhere(paused: readonly string[], recorded: ReadonlySet<string>, publishing: ReadonlySet<string>): string[] {
  return paused.filter((id) => !recorded.has(id) && !publishing.has(id));
}

/**
 * What an attempt's result changes. `reopenAt` is what this worker's breaker answered when it
 * recorded the result (the reopen time when the result opened it). Formats without stockhook's
 * protections keep their promised schedule: their results are never recorded, so they never pause.
 */
export function afterAttempt(a: { protections: boolean; wasPaused: boolean; ok: boolean; reopenAt: number | null }): {
  change: 'paused' | 'resumed' | null;
  write: 'publish' | 'lift' | null;
} {
  if (a.protections && a.reopenAt !== null) return { change: 'paused', write: 'publish' };
  if (a.wasPaused && a.ok) return { change: 'resumed', write: a.protections ? 'lift' : null };
  return { change: null, write: null };
}

/**
 * Whether a queued delivery may go out now, given this worker's breaker: sent when the breaker let
 * it through (`acquired`, the probe included); given back, due at the reopen time, when the breaker
 * is open (it was claimed before the breaker opened: held, it would keep the endpoint at its limit
 * with nothing to send it at the reopen); otherwise kept until the probe in flight ends.
 */
export type Admission = { send: true } | { send: false; giveBackUntil: number | null };

export function admission(acquired: boolean, reopenAt: number | null, now: number): Admission {
  if (acquired) return { send: true };
  return { send: false, giveBackUntil: reopenAt !== null && reopenAt > now ? reopenAt : null };
}
