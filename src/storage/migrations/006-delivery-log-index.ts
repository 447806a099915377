import type { Kysely } from 'kysely';

/** The account-wide delivery log (GET /api/v1/deliveries, the dashboard) pages by account and time. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('deliveries_account_time').on('deliveries').columns(['account_id', 'created_ms']).execute();
}
