import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/**
 * Inbound sources: a vendor's own webhook (MetaKocka, Poster, CycleSoftware, Kladana, another
 * stockhook) booked as stock (src/sources/).
 *
 * - `sources`: one per registered inbound URL. `secret` is kept in clear like a subscription's
 *   signing secret, because every request must be verified with it (an HMAC or md5 needs the key,
 *   not a hash of it); it is never read back through the API. `path_token` is the unguessable path
 *   of the inbound URL (unique); `report_authorization` is the Authorization header Kladana's
 *   reportUrl is fetched with, and `report_base_url` the
 *   only place it is sent to (a notification is unsigned: a forged reportUrl must not get it). `own_webhook_ids` (JSON array) are the account's subscriptions that
 *   belong to the source's own system: what the source books is not echoed to them.
 * - `source_mappings`: an explicit external id → stockhook id, per kind (product, warehouse).
 * - `source_unmatched`: rows that mapped to nothing, with their raw row, until a mapping books them.
 * - `source_requests`: the source log, every request received (headers, a bounded body, the
 *   verification result, the answer, what it booked or why not).
 * - `source_deliveries`: the vendor's delivery identities already booked; the primary key makes a
 *   vendor's retry (even a concurrent one) book nothing twice.
 * - `source_marks`: per external key the vendor's newest timestamp or sequence booked, so an older
 *   balance arriving later is skipped instead of moving stock backwards.
 */
export async function up(db: Kysely<unknown>, d: StorageDialect): Promise<void> {
  await d
    .addIdColumn(db.schema.createTable('sources'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('report_authorization', 'text')
    .addColumn('report_base_url', 'text')
    .addColumn('mapping', 'text', (c) => c.notNull())
    .addColumn('allow_create', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('default_warehouse_id', 'integer')
    .addColumn('own_webhook_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('path_token', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sources_path_token').on('sources').column('path_token').unique().execute();
  await db.schema.createIndex('sources_account').on('sources').columns(['account_id', 'id']).execute();

  await db.schema
    .createTable('source_mappings')
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('target_id', 'integer', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('source_mappings_pk', ['source_id', 'kind', 'external_id'])
    .execute();

  await d
    .addIdColumn(db.schema.createTable('source_unmatched'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('product_ref', 'text', (c) => c.notNull())
    .addColumn('warehouse_ref', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('row', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('booked_ms', 'bigint')
    .addColumn('document_id', 'integer')
    .execute();
  await db.schema.createIndex('source_unmatched_source').on('source_unmatched').columns(['source_id', 'booked_ms', 'id']).execute();

  await db.schema
    .createTable('source_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('received_ms', 'bigint', (c) => c.notNull())
    .addColumn('delivery_key', 'text')
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('body_truncated', 'integer', (c) => c.notNull())
    .addColumn('verified', 'integer', (c) => c.notNull())
    .addColumn('verify_reason', 'text')
    .addColumn('answer_status', 'integer', (c) => c.notNull())
    .addColumn('answer_body', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('source_requests_source').on('source_requests').columns(['source_id', 'id']).execute();

  await db.schema
    .createTable('source_deliveries')
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('delivery_key', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('source_deliveries_pk', ['source_id', 'delivery_key'])
    .execute();

  await db.schema
    .createTable('source_marks')
    .addColumn('source_id', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('mark', 'double precision', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('source_marks_pk', ['source_id', 'key'])
    .execute();
}
