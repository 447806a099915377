import type { SchemaDescription } from './describe-schema.js';

/*
 * The SQLite schema every migration together builds, written out in full (describe-schema.ts reads
 * the database back in this form). A change to a migration changes this file in the same commit.
 */

const KEY = 'size text not null, lot text not null, expiry text not null, serial text not null, location text not null';
const ID = 'id integer pk autoincrement';
const WATCHED =
  'id, account_id, url, format, events, secret, basic_username, basic_password, bearer_token, enabled, disabled_reason, retry_schedule, ' +
  'coalesce_seconds, max_in_flight, options, token_kind, author_application_id, paused_until_ms, created_ms';
const NEXT = 'update accounts set subscribers_version = (random() & 9007199254740991)';

export const EXPECTED_SQLITE: SchemaDescription = {
  tableNames: [
    'accounts', 'application_secrets', 'applications', 'attempts', 'deliveries', 'document_lines', 'documents', 'events',
    'history_horizons', 'idempotency_requests', 'installations', 'movements', 'outbound_order_items', 'outbound_orders', 'products',
    'replays', 'settings', 'sqlite_sequence', 'stock_items', 'stock_levels', 'stockhook_migrations', 'stockhook_migrations_lock',
    'tokens', 'warehouses', 'webhooks',
  ],
  tables: {
    accounts:
      'id text pk, number integer not null, slug text not null, name text not null, plan text not null, event_seq bigint not null default 0, ' +
      'created_ms bigint not null, subscribers_version bigint not null default 0',
    application_secrets: 'account_id text not null pk1, application_id integer not null pk2, access_token text not null, created_ms bigint not null',
    applications: `${ID}, name text not null, created_ms bigint not null, webhook_url text, webhook_objects text, webhook_secret text`,
    attempts:
      `${ID}, account_id text not null, delivery_id text not null, webhook_id text not null, attempt_no integer not null, ` +
      'started_ms bigint not null, duration_ms double precision not null, request_headers text not null, response_status integer, ' +
      'response_headers text, response_body text, error_kind text, error_message text, outcome text not null',
    deliveries:
      'id text pk, account_id text not null, webhook_id text not null, event_id text, event_type text not null, status text not null, ' +
      'attempts integer not null, next_attempt_ms bigint not null, lease_owner text, coalesce_key text, url text not null, headers text not null, ' +
      'body text not null, last_status_code integer, last_error text, created_ms bigint not null, completed_ms bigint',
    document_lines:
      `${ID}, account_id text not null, document_id integer not null, line_no integer not null, product_id integer not null, ${KEY}, ` +
      'quantity double precision not null',
    documents:
      `${ID}, account_id text not null, type text not null, warehouse_id integer not null, to_warehouse_id integer, reference text, ` +
      'status text not null, reverses_id integer, reversed_by_id integer, source text, created_ms bigint not null, author text',
    events:
      'id text pk, account_id text not null, seq bigint not null, type text not null, object text not null, object_id text not null, ' +
      'action text not null, occurred_ms bigint not null, data text not null',
    history_horizons: 'account_id text pk, events_pruned_seq bigint not null, events_pruned_ms bigint not null',
    idempotency_requests:
      'account_id text not null pk1, principal text not null pk2, key text not null pk3, request_hash text not null, created_ms bigint not null, ' +
      'status_code integer, response text',
    installations: 'account_id text not null pk1, application_id integer not null pk2, installed_ms bigint not null',
    movements:
      `${ID}, account_id text not null, document_id integer not null, stock_level_id integer not null, amount_delta double precision not null, ` +
      'reserved_delta double precision not null, created_ms bigint not null',
    outbound_order_items:
      `${ID}, account_id text not null, order_id integer not null, product_id integer not null, item_type_id integer not null, active integer not null, ` +
      'barcode text not null, quantity integer not null, quantity_claimed integer not null, quantity_shipped integer not null, ' +
      'blocked_for_claiming integer not null, description text not null, remark text not null, reference text not null, ' +
      'sold_to_customer integer not null, attached_to_item_id integer, pooled_within_stores integer not null',
    outbound_orders:
      `${ID}, account_id text not null, warehouse_id integer not null, type_id integer not null, status_id integer not null, dealer_id integer not null, ` +
      'order_account_id integer not null, preferred_delivery_ms bigint, sales_order_id integer, reference_text text not null, ' +
      'created_ms bigint not null, updated_ms bigint not null',
    products:
      `${ID}, account_id text not null, code text not null, sku text not null, title text not null, unit text not null, ` +
      'price double precision not null, supplier_product_id text, sizes text not null, deleted integer not null default 0, ' +
      'created_ms bigint not null, updated_ms bigint not null',
    replays:
      'id text pk, account_id text not null, webhook_id text not null, since_ms bigint not null, status text not null, events_total integer not null, ' +
      'events_done integer not null, deliveries integer not null, error text, started_ms bigint not null, heartbeat_ms bigint not null, finished_ms bigint',
    settings: 'key text pk, value text not null',
    stock_items:
      `${ID}, account_id text not null, attributes text not null, released integer not null, deleted integer not null, ` +
      'created_ms bigint not null, updated_ms bigint not null',
    stock_levels:
      `${ID}, account_id text not null, warehouse_id integer not null, product_id integer not null, ${KEY}, amount double precision not null, ` +
      'reserved double precision not null, version bigint not null, updated_ms bigint not null',
    tokens: 'token_hash text pk, account_id text not null, kind text not null, application_id integer, created_ms bigint not null',
    warehouses:
      `${ID}, account_id text not null, code text not null, name text not null, active integer not null, deleted integer not null default 0, ` +
      'created_ms bigint not null, updated_ms bigint not null',
    webhooks:
      'id text pk, account_id text not null, url text not null, format text not null, events text, secret text not null, basic_username text, ' +
      'basic_password text, bearer_token text, enabled integer not null, disabled_reason text, retry_schedule text, coalesce_seconds integer, ' +
      'max_in_flight integer not null, options text not null, token_kind text not null, failing_since_ms bigint, created_ms bigint not null, ' +
      'updated_ms bigint not null, author_application_id integer, paused_until_ms bigint, pause_cooldown_ms bigint, probe_owner text, ' +
      'probe_until_ms bigint, previous_secret text, previous_secret_until_ms bigint',
  },
  indexes: [
    'attempts_delivery on attempts (delivery_id, attempt_no)',
    'attempts_started on attempts (started_ms)',
    'attempts_webhook_time on attempts (account_id, started_ms)',
    'deliveries_account_time on deliveries (account_id, created_ms)',
    'deliveries_completed on deliveries (completed_ms) where completed_ms is not null',
    `deliveries_due on deliveries (next_attempt_ms) where "status" = 'pending'`,
    'deliveries_event on deliveries (event_id)',
    'deliveries_leased on deliveries (lease_owner) where "lease_owner" is not null',
    'deliveries_webhook on deliveries (account_id, webhook_id, created_ms)',
    'document_lines_document on document_lines (account_id, document_id, line_no)',
    'documents_account on documents (account_id, id)',
    'events_occurred on events (occurred_ms)',
    'events_seq on events unique (account_id, seq)',
    'events_time on events (account_id, occurred_ms)',
    'idempotency_requests_created on idempotency_requests (created_ms)',
    'movements_document on movements (account_id, document_id)',
    'movements_level_time on movements (account_id, stock_level_id, created_ms, amount_delta, reserved_delta)',
    'outbound_order_items_order on outbound_order_items (account_id, order_id)',
    'outbound_orders_account on outbound_orders (account_id, id)',
    'products_account on products (account_id, id)',
    'products_supplier on products (account_id, supplier_product_id)',
    'replays_account on replays (account_id, started_ms)',
    'sqlite_autoindex_accounts_1 on accounts unique (id) [pk]',
    'sqlite_autoindex_accounts_2 on accounts unique (number) [u]',
    'sqlite_autoindex_accounts_3 on accounts unique (slug) [u]',
    'sqlite_autoindex_application_secrets_1 on application_secrets unique (account_id, application_id) [pk]',
    'sqlite_autoindex_deliveries_1 on deliveries unique (id) [pk]',
    'sqlite_autoindex_deliveries_2 on deliveries unique (coalesce_key) [u]',
    'sqlite_autoindex_events_1 on events unique (id) [pk]',
    'sqlite_autoindex_history_horizons_1 on history_horizons unique (account_id) [pk]',
    'sqlite_autoindex_idempotency_requests_1 on idempotency_requests unique (account_id, principal, key) [pk]',
    'sqlite_autoindex_installations_1 on installations unique (account_id, application_id) [pk]',
    'sqlite_autoindex_replays_1 on replays unique (id) [pk]',
    'sqlite_autoindex_settings_1 on settings unique (key) [pk]',
    'sqlite_autoindex_tokens_1 on tokens unique (token_hash) [pk]',
    'sqlite_autoindex_webhooks_1 on webhooks unique (id) [pk]',
    'stock_items_account on stock_items (account_id, id)',
    'stock_levels_key on stock_levels unique (account_id, product_id, warehouse_id, size, lot, expiry, serial, location)',
    'stock_levels_updated on stock_levels (account_id, updated_ms)',
    'tokens_account on tokens (account_id)',
    'warehouses_account on warehouses (account_id, id)',
    'webhooks_account on webhooks (account_id, enabled)',
  ],
  constraints: [
    'application_secrets: application_secrets_pk PRIMARY KEY (account_id, application_id)',
    'idempotency_requests: idempotency_requests_pk PRIMARY KEY (account_id, principal, key)',
    'installations: installations_pk PRIMARY KEY (account_id, application_id)',
  ],
  triggers: [
    `create trigger accounts_subscribers_version after update of number, slug, plan on accounts begin ${NEXT} where id = new.id; end`,
    `create trigger webhooks_delete_version after delete on webhooks begin ${NEXT} where id = old.account_id; end`,
    `create trigger webhooks_insert_version after insert on webhooks begin ${NEXT} where id = new.account_id; end`,
    `create trigger webhooks_update_version after update of ${WATCHED} on webhooks begin ${NEXT} where id in (old.account_id, new.account_id); end`,
  ],
  functions: [],
  sequences: [],
};
