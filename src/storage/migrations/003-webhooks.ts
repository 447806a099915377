import { sql, type Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/** Subscriptions, the delivery queue and the attempt log. */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('events', 'text') // JSON array of canonical types, NULL = every type the format takes
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('basic_username', 'text')
    .addColumn('basic_password', 'text')
    .addColumn('bearer_token', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('disabled_reason', 'text')
    .addColumn('retry_schedule', 'text') // JSON array of seconds, NULL = the format's default
    .addColumn('coalesce_seconds', 'integer')
    .addColumn('max_in_flight', 'integer', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull()) // format options (poster objects, kladana types)
    .addColumn('token_kind', 'text', (c) => c.notNull())
    .addColumn('failing_since_ms', 'bigint')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_account').on('webhooks').columns(['account_id', 'enabled']).execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text')
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    // For a pending delivery: when it is due. A claim moves it forward by the lease, so a crashed
    // worker's claim simply comes due again (graphile-worker's locked_at idea, folded into one column).
    .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('coalesce_key', 'text', (c) => c.unique())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('completed_ms', 'bigint')
    .execute();
  // The claim's index: only pending rows, in due order. Finished rows (the bulk of the table) are not in it.
  await db.schema
    .createIndex('deliveries_due')
    .on('deliveries')
    .columns(['next_attempt_ms'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema
    .createIndex('deliveries_webhook')
    .on('deliveries')
    .columns(['account_id', 'webhook_id', 'created_ms'])
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('attempts'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('attempt_no', 'integer', (c) => c.notNull())
    .addColumn('started_ms', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .addColumn('request_headers', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_headers', 'text')
    .addColumn('response_body', 'text')
    .addColumn('error_kind', 'text')
    .addColumn('error_message', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('attempts_delivery').on('attempts').columns(['delivery_id', 'attempt_no']).execute();
  await db.schema.createIndex('attempts_webhook_time').on('attempts').columns(['account_id', 'started_ms']).execute();
}
