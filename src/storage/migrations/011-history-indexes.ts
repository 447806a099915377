import type { Kysely } from 'kysely';

/**
 * Reads of the stock history: stock at a past moment sums each key's movements up to a
 * time (GET /api/v1/stock?at=), and the dashboard links an event to the deliveries it caused
 * (GET /api/v1/deliveries?eventId=).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('movements_level_time')
    .on('movements')
    .columns(['account_id', 'stock_level_id', 'created_ms', 'amount_delta', 'reserved_delta'])
    .execute();
  await db.schema.createIndex('deliveries_event').on('deliveries').columns(['event_id']).execute();
}
