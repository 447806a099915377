import type { Db } from '../storage/database.js';

/**
 * A token's last use is kept to the minute: finer would cost a write per request, and an operator
 * asking "is this token still used?" needs days, not seconds.
 */
export const LAST_USE_RESOLUTION_MS = 60_000;

/** Whether a use at `now` is to be recorded, given what the token's row says (read by the same SELECT that authenticated it). */
export const lastUseDue = (lastUsedMs: number | null, now: number): boolean =>
  lastUsedMs === null || now - lastUsedMs >= LAST_USE_RESOLUTION_MS;

/**
 * Records a token's use with a conditional UPDATE rather than an in-memory map flushed by a timer:
 * it runs only when the row read to authenticate says the stored time is a minute old or more, and
 * its WHERE repeats the test, so processes that race to record the same minute write the row once
 * between them and nothing is lost when a process stops. At most one write per token per minute,
 * never one per request.
 */
export async function recordUse(db: Db, tokenId: string, now: number): Promise<void> {
  await db
    .updateTable('tokens')
    .set({ last_used_ms: now })
    .where('id', '=', tokenId)
    .where((eb) => eb.or([eb('last_used_ms', 'is', null), eb('last_used_ms', '<=', now - LAST_USE_RESOLUTION_MS)]))
    .execute();
}
