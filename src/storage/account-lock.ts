import { sql } from 'kysely';
import type { Tx } from './db.js';

/**
 * Holds the account's row lock until the transaction ends, so two transactions that check a
 * per-account limit before they insert cannot both see room for one more. A no-op UPDATE takes
 * the row lock on PostgreSQL; on SQLite, a write already holds the database's one write lock.
 */
export async function lockAccountRow(tx: Tx, accountId: string): Promise<void> {
  await tx.updateTable('accounts').set({ event_seq: sql`event_seq` }).where('id', '=', accountId).execute();
}
