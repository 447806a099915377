import { sql, type Kysely } from 'kysely';

/**
 * A Kladana notification is answered before its report is fetched (Kladana wants an answer within
 * 1500 ms), so the fetch must survive a stop or a failed try: the request row itself records it.
 *
 * - `fetch_due_ms`: when the report is next fetched; null once there is nothing to fetch. A process
 *   claims the row by moving it to now + lease (as deliveries are claimed), so a process that dies
 *   mid-fetch lets the lease run out and the row comes due again.
 * - `fetch_lease`: the claim of the process fetching it now; the booking write settles the row only
 *   while that claim still holds, so two processes never both book one notification.
 * - `fetch_attempts`: tries made, for the backoff and the bound after which it ends `fetch_failed`.
 *
 * Only rows with a fetch to come are in the index, so finding what is due never walks the log.
 * A notification logged `pending` before this migration was never fetched if its process stopped:
 * it comes due at once, so the next start fetches it (the report is of current balances).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('source_requests').addColumn('fetch_due_ms', 'bigint').execute();
  await db.schema.alterTable('source_requests').addColumn('fetch_lease', 'text').execute();
  await db.schema.alterTable('source_requests').addColumn('fetch_attempts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createIndex('source_requests_fetch_due')
    .on('source_requests')
    .columns(['fetch_due_ms'])
    .where(sql.ref('fetch_due_ms'), 'is not', null)
    .execute();
  await sql`update source_requests set fetch_due_ms = received_ms where outcome = 'pending'`.execute(db);
}
