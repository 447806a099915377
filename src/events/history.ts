import { AppError } from '../errors.js';
import type { Db } from '../storage/database.js';

/** How far an account's event history was pruned (retention/prune.ts): the newest deleted event. */
export interface HistoryHorizon {
  seq: number;
  ms: number;
}

export async function historyHorizon(db: Db, accountId: string): Promise<HistoryHorizon> {
  const row = await db
    .selectFrom('history_horizons')
    .select(['events_pruned_seq', 'events_pruned_ms'])
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return { seq: Number(row?.events_pruned_seq ?? 0), ms: Number(row?.events_pruned_ms ?? 0) };
}

/** 410 for a reader paging from before the pruned history: a gap it would otherwise never notice. */
export async function assertEventsAfterKept(db: Db, accountId: string, after: number): Promise<void> {
  const h = await historyHorizon(db, accountId);
  if (after < h.seq) {
    throw new AppError('HISTORY_PRUNED', `events up to seq ${h.seq} were pruned (older than the retention period); page from after=${h.seq}`, {
      after,
      oldestAfter: h.seq,
    });
  }
}

/** 410 for a replay from before the pruned history, saying how far back one can go. */
export async function assertEventsSinceKept(db: Db, accountId: string, sinceMs: number): Promise<void> {
  const h = await historyHorizon(db, accountId);
  if (h.seq > 0 && sinceMs <= h.ms) {
    const availableSince = new Date(h.ms + 1).toISOString();
    throw new AppError('HISTORY_PRUNED', `events before ${availableSince} were pruned (older than the retention period); replay since ${availableSince} or later`, {
      since: new Date(sinceMs).toISOString(),
      availableSince,
    });
  }
}
