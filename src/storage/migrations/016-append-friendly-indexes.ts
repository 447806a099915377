import { sql, type Kysely } from 'kysely';

/**
 * Retention finds finished deliveries by completed_ms; pending ones (every row a write inserts)
 * have none. A partial index leaves them out, so a delivery insert updates one index fewer; the
 * pruner's `completed_ms < ?` implies `completed_ms is not null`, which both databases use to pick
 * the partial index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('deliveries_completed').execute();
  await sql`create index deliveries_completed on deliveries (completed_ms) where completed_ms is not null`.execute(db);
}
