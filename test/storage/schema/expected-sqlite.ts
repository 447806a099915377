import type { SchemaDescription } from './describe-schema.js';

/*
 * The SQLite schema every migration together builds, written out in full (describe-schema.ts reads
 * the database back in this form). A change to a migration changes this file in the same commit.
 */

const KEY = 'size TEXT not null, lot TEXT not null, expiry TEXT not null, serial TEXT not null, location TEXT not null';
const ID = 'id INTEGER pk autoincrement';
const WATCHED =
  'id, account_id, url, format, events, secret, basic_username, basic_password, bearer_token, enabled, disabled_reason, retry_schedule, ' +
  'coalesce_seconds, max_in_flight, options, token_kind, author_application_id, paused_until_ms, created_ms, removing_ms';
const NEXT = 'update accounts set subscribers_version = (random() & 9007199254740991)';

export const EXPECTED_SQLITE: SchemaDescription = {
  tableNames: [
    'accounts', 'application_secrets', 'applications', 'attempts', 'deliveries', 'document_lines', 'documents', 'events',
    'history_horizons', 'idempotency_requests', 'installations', 'movements', 'outbound_order_items', 'outbound_orders', 'products',
    'replays', 'settings', 'source_deliveries', 'source_mappings', 'source_marks', 'source_requests', 'source_unmatched', 'sources',
    'sqlite_sequence', 'stock_items', 'stock_levels', 'stockhook_migrations', 'stockhook_migrations_lock',
    'tokens', 'warehouses', 'webhooks',
  ],
  tables: {
    accounts:
      'id TEXT pk, number INTEGER not null, slug TEXT not null, name TEXT not null, plan TEXT not null, event_seq bigint not null default 0, ' +
      'created_ms bigint not null, subscribers_version bigint not null default 0',
    application_secrets: 'account_id TEXT not null pk1, application_id INTEGER not null pk2, access_token TEXT not null, created_ms bigint not null',
    applications: `${ID}, name TEXT not null, created_ms bigint not null, webhook_url TEXT, webhook_objects TEXT, webhook_secret TEXT`,
    attempts:
      `${ID}, account_id TEXT not null, delivery_id TEXT not null, webhook_id TEXT not null, attempt_no INTEGER not null, ` +
      'started_ms bigint not null, duration_ms double precision not null, request_headers TEXT not null, response_status INTEGER, ' +
      'response_headers TEXT, response_body TEXT, error_kind TEXT, error_message TEXT, outcome TEXT not null',
    deliveries:
      'id TEXT pk, account_id TEXT not null, webhook_id TEXT not null, event_id TEXT, event_type TEXT not null, status TEXT not null, ' +
      'attempts INTEGER not null, next_attempt_ms bigint not null, lease_owner TEXT, coalesce_key TEXT, url TEXT not null, headers TEXT not null, ' +
      'body TEXT not null, last_status_code INTEGER, last_error TEXT, created_ms bigint not null, completed_ms bigint',
    document_lines:
      `${ID}, account_id TEXT not null, document_id INTEGER not null, line_no INTEGER not null, product_id INTEGER not null, ${KEY}, ` +
      'quantity double precision not null',
    documents:
      `${ID}, account_id TEXT not null, type TEXT not null, warehouse_id INTEGER not null, to_warehouse_id INTEGER, reference TEXT, ` +
      'status TEXT not null, reverses_id INTEGER, reversed_by_id INTEGER, source TEXT, created_ms bigint not null, author TEXT',
    events:
      'id TEXT pk, account_id TEXT not null, seq bigint not null, type TEXT not null, object TEXT not null, object_id TEXT not null, ' +
      'action TEXT not null, occurred_ms bigint not null, data TEXT not null',
    history_horizons: 'account_id TEXT pk, events_pruned_seq bigint not null, events_pruned_ms bigint not null',
    idempotency_requests:
      'account_id TEXT not null pk1, principal TEXT not null pk2, key TEXT not null pk3, request_hash TEXT not null, created_ms bigint not null, ' +
      'status_code INTEGER, response TEXT',
    installations: 'account_id TEXT not null pk1, application_id INTEGER not null pk2, installed_ms bigint not null',
    movements:
      `${ID}, account_id TEXT not null, document_id INTEGER not null, stock_level_id INTEGER not null, amount_delta double precision not null, ` +
      'reserved_delta double precision not null, created_ms bigint not null',
    outbound_order_items:
      `${ID}, account_id TEXT not null, order_id INTEGER not null, product_id INTEGER not null, item_type_id INTEGER not null, active INTEGER not null, ` +
      'barcode TEXT not null, quantity INTEGER not null, quantity_claimed INTEGER not null, quantity_shipped INTEGER not null, ' +
      'blocked_for_claiming INTEGER not null, description TEXT not null, remark TEXT not null, reference TEXT not null, ' +
      'sold_to_customer INTEGER not null, attached_to_item_id INTEGER, pooled_within_stores INTEGER not null',
    outbound_orders:
      `${ID}, account_id TEXT not null, warehouse_id INTEGER not null, type_id INTEGER not null, status_id INTEGER not null, dealer_id INTEGER not null, ` +
      'order_account_id INTEGER not null, preferred_delivery_ms bigint, sales_order_id INTEGER, reference_text TEXT not null, ' +
      'created_ms bigint not null, updated_ms bigint not null',
    products:
      `${ID}, account_id TEXT not null, code TEXT not null, sku TEXT not null, title TEXT not null, unit TEXT not null, ` +
      'price double precision not null, supplier_product_id TEXT, sizes TEXT not null, deleted INTEGER not null default 0, ' +
      'created_ms bigint not null, updated_ms bigint not null',
    replays:
      'id TEXT pk, account_id TEXT not null, webhook_id TEXT not null, since_ms bigint not null, status TEXT not null, events_total INTEGER not null, ' +
      'events_done INTEGER not null, deliveries INTEGER not null, error TEXT, started_ms bigint not null, heartbeat_ms bigint not null, finished_ms bigint',
    settings: 'key TEXT pk, value TEXT not null',
    source_deliveries: 'source_id INTEGER not null pk1, delivery_key TEXT not null pk2, request_id TEXT not null, created_ms bigint not null',
    source_mappings:
      'source_id INTEGER not null pk1, kind TEXT not null pk2, external_id TEXT not null pk3, account_id TEXT not null, target_id INTEGER not null, ' +
      'created_ms bigint not null',
    source_marks: 'source_id INTEGER not null pk1, key TEXT not null pk2, mark double precision not null, updated_ms bigint not null',
    source_requests:
      'id TEXT pk, account_id TEXT not null, source_id INTEGER not null, received_ms bigint not null, delivery_key TEXT, headers TEXT not null, ' +
      'body TEXT not null, body_truncated INTEGER not null, verified INTEGER not null, verify_reason TEXT, answer_status INTEGER not null, ' +
      'answer_body TEXT not null, outcome TEXT not null, detail TEXT not null, fetch_due_ms bigint, fetch_lease TEXT, ' +
      'fetch_attempts INTEGER not null default 0',
    source_unmatched:
      `${ID}, account_id TEXT not null, source_id INTEGER not null, request_id TEXT, product_ref TEXT not null, warehouse_ref TEXT not null, ` +
      'reason TEXT not null, row TEXT not null, created_ms bigint not null, booked_ms bigint, document_id INTEGER',
    sources:
      `${ID}, account_id TEXT not null, name TEXT not null, format TEXT not null, secret TEXT, report_authorization TEXT, report_base_url TEXT, ` +
      'mapping TEXT not null, ' +
      "allow_create INTEGER not null default 0, default_warehouse_id INTEGER, own_webhook_ids TEXT not null default '[]', path_token TEXT not null, " +
      'enabled INTEGER not null default 1, created_ms bigint not null, updated_ms bigint not null',
    stock_items:
      `${ID}, account_id TEXT not null, attributes TEXT not null, released INTEGER not null, deleted INTEGER not null, ` +
      'created_ms bigint not null, updated_ms bigint not null',
    stock_levels:
      `${ID}, account_id TEXT not null, warehouse_id INTEGER not null, product_id INTEGER not null, ${KEY}, amount double precision not null, ` +
      'reserved double precision not null, version bigint not null, updated_ms bigint not null',
    tokens: 'token_hash TEXT pk, account_id TEXT not null, kind TEXT not null, application_id INTEGER, created_ms bigint not null, id TEXT, name TEXT not null default \'default\', scope TEXT not null default \'write\', last_used_ms bigint',
    warehouses:
      `${ID}, account_id TEXT not null, code TEXT not null, name TEXT not null, active INTEGER not null, deleted INTEGER not null default 0, ` +
      'created_ms bigint not null, updated_ms bigint not null',
    webhooks:
      'id TEXT pk, account_id TEXT not null, url TEXT not null, format TEXT not null, events TEXT, secret TEXT not null, basic_username TEXT, ' +
      'basic_password TEXT, bearer_token TEXT, enabled INTEGER not null, disabled_reason TEXT, retry_schedule TEXT, coalesce_seconds INTEGER, ' +
      'max_in_flight INTEGER not null, options TEXT not null, token_kind TEXT not null, failing_since_ms bigint, created_ms bigint not null, ' +
      'updated_ms bigint not null, author_application_id INTEGER, paused_until_ms bigint, pause_cooldown_ms bigint, probe_owner TEXT, ' +
      'probe_until_ms bigint, previous_secret TEXT, previous_secret_until_ms bigint, removing_ms bigint',
  },
  indexes: [
    'attempts_delivery on attempts (delivery_id, attempt_no)',
    'attempts_started on attempts (started_ms)',
    'attempts_webhook_time on attempts (account_id, started_ms)',
    'deliveries_account_time on deliveries (account_id, created_ms)',
    'deliveries_coalesce on deliveries unique (coalesce_key) where coalesce_key is not null',
    'deliveries_completed on deliveries (completed_ms) where completed_ms is not null',
    `deliveries_due on deliveries (next_attempt_ms) where "status" = 'pending'`,
    'deliveries_event on deliveries (event_id)',
    'deliveries_leased on deliveries (lease_owner) where "lease_owner" is not null',
    'deliveries_webhook on deliveries (account_id, webhook_id, created_ms)',
    'document_lines_document on document_lines (account_id, document_id, line_no)',
    'documents_account on documents (account_id, id)',
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
    'source_requests_fetch_due on source_requests (fetch_due_ms) where "fetch_due_ms" is not null',
    'source_requests_source on source_requests (source_id, id)',
    'source_unmatched_source on source_unmatched (source_id, booked_ms, id)',
    'sources_account on sources (account_id, id)',
    'sources_path_token on sources unique (path_token)',
    'sqlite_autoindex_accounts_1 on accounts unique (id) [pk]',
    'sqlite_autoindex_accounts_2 on accounts unique (number) [u]',
    'sqlite_autoindex_accounts_3 on accounts unique (slug) [u]',
    'sqlite_autoindex_application_secrets_1 on application_secrets unique (account_id, application_id) [pk]',
    'sqlite_autoindex_deliveries_1 on deliveries unique (id) [pk]',
    'sqlite_autoindex_events_1 on events unique (id) [pk]',
    'sqlite_autoindex_history_horizons_1 on history_horizons unique (account_id) [pk]',
    'sqlite_autoindex_idempotency_requests_1 on idempotency_requests unique (account_id, principal, key) [pk]',
    'sqlite_autoindex_installations_1 on installations unique (account_id, application_id) [pk]',
    'sqlite_autoindex_replays_1 on replays unique (id) [pk]',
    'sqlite_autoindex_settings_1 on settings unique (key) [pk]',
    'sqlite_autoindex_source_deliveries_1 on source_deliveries unique (source_id, delivery_key) [pk]',
    'sqlite_autoindex_source_mappings_1 on source_mappings unique (source_id, kind, external_id) [pk]',
    'sqlite_autoindex_source_marks_1 on source_marks unique (source_id, key) [pk]',
    'sqlite_autoindex_source_requests_1 on source_requests unique (id) [pk]',
    'sqlite_autoindex_tokens_1 on tokens unique (token_hash) [pk]',
    'sqlite_autoindex_webhooks_1 on webhooks unique (id) [pk]',
    'stock_items_account on stock_items (account_id, id)',
    'stock_levels_key on stock_levels unique (account_id, product_id, warehouse_id, size, lot, expiry, serial, location)',
    'stock_levels_updated on stock_levels (account_id, updated_ms)',
    'tokens_account on tokens (account_id)',
    'tokens_id on tokens unique (id)',
    'warehouses_account on warehouses (account_id, id)',
    'webhooks_account on webhooks (account_id, enabled)',
  ],
  constraints: [
    'application_secrets: application_secrets_pk PRIMARY KEY (account_id, application_id)',
    'idempotency_requests: idempotency_requests_pk PRIMARY KEY (account_id, principal, key)',
    'installations: installations_pk PRIMARY KEY (account_id, application_id)',
    'source_deliveries: source_deliveries_pk PRIMARY KEY (source_id, delivery_key)',
    'source_mappings: source_mappings_pk PRIMARY KEY (source_id, kind, external_id)',
    'source_marks: source_marks_pk PRIMARY KEY (source_id, key)',
  ],
  triggers: [
    `CREATE TRIGGER accounts_subscribers_version after update of number, slug, plan on accounts begin ${NEXT} where id = new.id; end`,
    `CREATE TRIGGER webhooks_delete_version after delete on webhooks begin ${NEXT} where id = old.account_id; end`,
    `CREATE TRIGGER webhooks_insert_version after insert on webhooks begin ${NEXT} where id = new.account_id; end`,
    `CREATE TRIGGER webhooks_update_version after update of ${WATCHED} on webhooks begin ${NEXT} where id in (old.account_id, new.account_id); end`,
  ],
  functions: [],
  sequences: [],
};
