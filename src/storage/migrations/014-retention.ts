import type { Kysely } from 'kysely';

/**
 * Retention (retention/): indexes that find expired rows by age alone, across accounts (the
 * existing ones lead with account_id), and per account how far its event history was pruned, so a
 * reader asking for pruned history gets a clear answer instead of a silent gap. A table of its
 * own rather than columns of `accounts`: every write locks its account's row, the pruner should not.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('events_occurred').on('events').column('occurred_ms').execute();
  await db.schema.createIndex('deliveries_completed').on('deliveries').column('completed_ms').execute();
  await db.schema.createIndex('attempts_started').on('attempts').column('started_ms').execute();
  await db.schema
    .createTable('history_horizons')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('events_pruned_seq', 'bigint', (c) => c.notNull())
    .addColumn('events_pruned_ms', 'bigint', (c) => c.notNull())
    .execute();
}
