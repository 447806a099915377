import type { Kysely } from 'kysely';

/** Replay jobs: a long re-sync runs in the background and reports its progress here. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('replays')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('since_ms', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('events_total', 'integer', (c) => c.notNull())
    .addColumn('events_done', 'integer', (c) => c.notNull())
    .addColumn('deliveries', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('started_ms', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_ms', 'bigint', (c) => c.notNull())
    .addColumn('finished_ms', 'bigint')
    .execute();
  await db.schema.createIndex('replays_account').on('replays').columns(['account_id', 'started_ms']).execute();
}
