import type { Kysely } from 'kysely';
import type { StorageDialect } from '../dialect.js';

/** Accounts, inventory, the movement ledger, the event outbox, orders and stock items. */
export async function up(db: Kysely<unknown>, dialect: StorageDialect): Promise<void> {
  await db.schema
    .createTable('accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('number', 'integer', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('event_seq', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('application_id', 'integer')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('tokens_account').on('tokens').columns(['account_id']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('warehouses'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('warehouses_account').on('warehouses').columns(['account_id', 'id']).execute();

  await dialect
    .addIdColumn(db.schema.createTable('products'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('sku', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('price', 'double precision', (c) => c.notNull())
    .addColumn('supplier_product_id', 'text')
    .addColumn('sizes', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('products_account').on('products').columns(['account_id', 'id']).execute();
  await db.schema
    .createIndex('products_supplier')
    .on('products')
    .columns(['account_id', 'supplier_product_id'])
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('documents'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('warehouse_id', 'integer', (c) => c.notNull())
    .addColumn('to_warehouse_id', 'integer')
    .addColumn('reference', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reverses_id', 'integer')
    .addColumn('reversed_by_id', 'integer')
    .addColumn('source', 'text')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('documents_account').on('documents').columns(['account_id', 'id']).execute();

  await dialect
    .addIdColumn(db.schema.createTable('document_lines'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('document_id', 'integer', (c) => c.notNull())
    .addColumn('line_no', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'integer', (c) => c.notNull())
    .addColumn('size', 'text', (c) => c.notNull())
    .addColumn('lot', 'text', (c) => c.notNull())
    .addColumn('expiry', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('quantity', 'double precision', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('document_lines_document')
    .on('document_lines')
    .columns(['account_id', 'document_id', 'line_no'])
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('stock_levels'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('warehouse_id', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'integer', (c) => c.notNull())
    .addColumn('size', 'text', (c) => c.notNull())
    .addColumn('lot', 'text', (c) => c.notNull())
    .addColumn('expiry', 'text', (c) => c.notNull())
    .addColumn('serial', 'text', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('amount', 'double precision', (c) => c.notNull())
    .addColumn('reserved', 'double precision', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  // The stock key. Every single-statement stock change targets exactly one row of this index.
  await db.schema
    .createIndex('stock_levels_key')
    .on('stock_levels')
    .columns(['account_id', 'product_id', 'warehouse_id', 'size', 'lot', 'expiry', 'serial', 'location'])
    .unique()
    .execute();
  // Kladana's "changed since" reports scan by time.
  await db.schema
    .createIndex('stock_levels_updated')
    .on('stock_levels')
    .columns(['account_id', 'updated_ms'])
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('movements'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('document_id', 'integer', (c) => c.notNull())
    .addColumn('stock_level_id', 'integer', (c) => c.notNull())
    .addColumn('amount_delta', 'double precision', (c) => c.notNull())
    .addColumn('reserved_delta', 'double precision', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('movements_level')
    .on('movements')
    .columns(['account_id', 'stock_level_id'])
    .execute();
  await db.schema
    .createIndex('movements_document')
    .on('movements')
    .columns(['account_id', 'document_id'])
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('object', 'text', (c) => c.notNull())
    .addColumn('object_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('occurred_ms', 'bigint', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('events_seq').on('events').columns(['account_id', 'seq']).unique().execute();
  await db.schema.createIndex('events_time').on('events').columns(['account_id', 'occurred_ms']).execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['account_id', 'key'])
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('outbound_orders'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('warehouse_id', 'integer', (c) => c.notNull())
    .addColumn('type_id', 'integer', (c) => c.notNull())
    .addColumn('status_id', 'integer', (c) => c.notNull())
    .addColumn('dealer_id', 'integer', (c) => c.notNull())
    .addColumn('order_account_id', 'integer', (c) => c.notNull())
    .addColumn('preferred_delivery_ms', 'bigint')
    .addColumn('sales_order_id', 'integer')
    .addColumn('reference_text', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbound_orders_account').on('outbound_orders').columns(['account_id', 'id']).execute();

  await dialect
    .addIdColumn(db.schema.createTable('outbound_order_items'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('order_id', 'integer', (c) => c.notNull())
    .addColumn('product_id', 'integer', (c) => c.notNull())
    .addColumn('item_type_id', 'integer', (c) => c.notNull())
    .addColumn('active', 'integer', (c) => c.notNull())
    .addColumn('barcode', 'text', (c) => c.notNull())
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('quantity_claimed', 'integer', (c) => c.notNull())
    .addColumn('quantity_shipped', 'integer', (c) => c.notNull())
    .addColumn('blocked_for_claiming', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('remark', 'text', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('sold_to_customer', 'integer', (c) => c.notNull())
    .addColumn('attached_to_item_id', 'integer')
    .addColumn('pooled_within_stores', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('outbound_order_items_order')
    .on('outbound_order_items')
    .columns(['account_id', 'order_id'])
    .execute();

  await dialect
    .addIdColumn(db.schema.createTable('stock_items'))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('attributes', 'text', (c) => c.notNull())
    .addColumn('released', 'integer', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stock_items_account').on('stock_items').columns(['account_id', 'id']).execute();
}
