import type { SchemaDescription } from './describe-schema.js';

/*
 * The PostgreSQL schema every migration together builds, written out in full (describe-schema.ts
 * reads the database back in this form). A change to a migration changes this file in the same commit.
 */

const KEY = 'size text not null, lot text not null, expiry text not null, serial text not null, location text not null';
const id = (table: string): string => `id integer not null default nextval('${table}_id_seq'::regclass)`;
const pkey = (table: string, column = 'id'): string => `${table}: ${table}_pkey PRIMARY KEY (${column})`;
const WATCHED =
  'id, account_id, url, format, events, secret, basic_username, basic_password, bearer_token, enabled, disabled_reason, retry_schedule, ' +
  'coalesce_seconds, max_in_flight, options, token_kind, author_application_id, paused_until_ms, created_ms, removing_ms';
const NEXT = "nextval('subscribers_versions')";

export const EXPECTED_POSTGRES: SchemaDescription = {
  tableNames: [
    'accounts', 'application_secrets', 'applications', 'attempts', 'deliveries', 'document_lines', 'documents', 'events',
    'history_horizons', 'idempotency_requests', 'installations', 'movements', 'outbound_order_items', 'outbound_orders', 'products',
    'replays', 'settings', 'source_deliveries', 'source_mappings', 'source_marks', 'source_requests', 'source_unmatched', 'sources',
    'stock_items', 'stock_levels', 'stockhook_migrations', 'stockhook_migrations_lock', 'tokens', 'warehouses', 'webhooks',
  ],
  tables: {
    accounts:
      'id text not null, number integer not null, slug text not null, name text not null, plan text not null, event_seq bigint not null default 0, ' +
      'created_ms bigint not null, subscribers_version bigint not null default 0',
    application_secrets: 'account_id text not null, application_id integer not null, access_token text not null, created_ms bigint not null',
    applications: `${id('applications')}, name text not null, created_ms bigint not null, webhook_url text, webhook_objects text, webhook_secret text`,
    attempts:
      `${id('attempts')}, account_id text not null, delivery_id text not null, webhook_id text not null, attempt_no integer not null, ` +
      'started_ms bigint not null, duration_ms double precision not null, request_headers text not null, response_status integer, ' +
      'response_headers text, response_body text, error_kind text, error_message text, outcome text not null',
    deliveries:
      'id text not null, account_id text not null, webhook_id text not null, event_id text, event_type text not null, status text not null, ' +
      'attempts integer not null, next_attempt_ms bigint not null, lease_owner text, coalesce_key text, url text not null, headers text not null, ' +
      'body text not null, last_status_code integer, last_error text, created_ms bigint not null, completed_ms bigint',
    document_lines:
      `${id('document_lines')}, account_id text not null, document_id integer not null, line_no integer not null, product_id integer not null, ${KEY}, ` +
      'quantity double precision not null',
    documents:
      `${id('documents')}, account_id text not null, type text not null, warehouse_id integer not null, to_warehouse_id integer, reference text, ` +
      'status text not null, reverses_id integer, reversed_by_id integer, source text, created_ms bigint not null, author text',
    events:
      'id text not null, account_id text not null, seq bigint, type text not null, object text not null, object_id text not null, ' +
      'action text not null, occurred_ms bigint not null, data text not null, pos bigint not null identity by default',
    history_horizons: 'account_id text not null, events_pruned_seq bigint not null, events_pruned_ms bigint not null',
    idempotency_requests:
      'account_id text not null, principal text not null, key text not null, request_hash text not null, created_ms bigint not null, ' +
      'status_code integer, response text',
    installations: 'account_id text not null, application_id integer not null, installed_ms bigint not null',
    movements:
      `${id('movements')}, account_id text not null, document_id integer not null, stock_level_id integer not null, amount_delta double precision not null, ` +
      'reserved_delta double precision not null, created_ms bigint not null',
    outbound_order_items:
      `${id('outbound_order_items')}, account_id text not null, order_id integer not null, product_id integer not null, item_type_id integer not null, ` +
      'active integer not null, barcode text not null, quantity integer not null, quantity_claimed integer not null, quantity_shipped integer not null, ' +
      'blocked_for_claiming integer not null, description text not null, remark text not null, reference text not null, ' +
      'sold_to_customer integer not null, attached_to_item_id integer, pooled_within_stores integer not null',
    outbound_orders:
      `${id('outbound_orders')}, account_id text not null, warehouse_id integer not null, type_id integer not null, status_id integer not null, ` +
      'dealer_id integer not null, order_account_id integer not null, preferred_delivery_ms bigint, sales_order_id integer, reference_text text not null, ' +
      'created_ms bigint not null, updated_ms bigint not null',
    products:
      `${id('products')}, account_id text not null, code text not null, sku text not null, title text not null, unit text not null, ` +
      'price double precision not null, supplier_product_id text, sizes text not null, deleted integer not null default 0, ' +
      'created_ms bigint not null, updated_ms bigint not null',
    replays:
      'id text not null, account_id text not null, webhook_id text not null, since_ms bigint not null, status text not null, events_total integer not null, ' +
      'events_done integer not null, deliveries integer not null, error text, started_ms bigint not null, heartbeat_ms bigint not null, finished_ms bigint',
    settings: 'key text not null, value text not null',
    source_deliveries: 'source_id integer not null, delivery_key text not null, request_id text not null, created_ms bigint not null',
    source_mappings:
      'source_id integer not null, kind text not null, external_id text not null, account_id text not null, target_id integer not null, ' +
      'created_ms bigint not null',
    source_marks: 'source_id integer not null, key text not null, mark double precision not null, updated_ms bigint not null',
    source_requests:
      'id text not null, account_id text not null, source_id integer not null, received_ms bigint not null, delivery_key text, headers text not null, ' +
      'body text not null, body_truncated integer not null, verified integer not null, verify_reason text, answer_status integer not null, ' +
      'answer_body text not null, outcome text not null, detail text not null, fetch_due_ms bigint, fetch_lease text, ' +
      'fetch_attempts integer not null default 0',
    source_unmatched:
      `${id('source_unmatched')}, account_id text not null, source_id integer not null, request_id text, product_ref text not null, ` +
      'warehouse_ref text not null, reason text not null, row text not null, created_ms bigint not null, booked_ms bigint, document_id integer',
    sources:
      `${id('sources')}, account_id text not null, name text not null, format text not null, secret text, report_authorization text, report_base_url text, ` +
      "mapping text not null, allow_create integer not null default 0, default_warehouse_id integer, own_webhook_ids text not null default '[]'::text, " +
      'path_token text not null, enabled integer not null default 1, created_ms bigint not null, updated_ms bigint not null',
    stock_items:
      `${id('stock_items')}, account_id text not null, attributes text not null, released integer not null, deleted integer not null, ` +
      'created_ms bigint not null, updated_ms bigint not null',
    stock_levels:
      `${id('stock_levels')}, account_id text not null, warehouse_id integer not null, product_id integer not null, ${KEY}, ` +
      'amount double precision not null, reserved double precision not null, version bigint not null, updated_ms bigint not null',
    tokens: 'token_hash text not null, account_id text not null, kind text not null, application_id integer, created_ms bigint not null, id text, ' +
      "name text not null default 'default'::text, scope text not null default 'write'::text, last_used_ms bigint",
    warehouses:
      `${id('warehouses')}, account_id text not null, code text not null, name text not null, active integer not null, ` +
      'deleted integer not null default 0, created_ms bigint not null, updated_ms bigint not null',
    webhooks:
      'id text not null, account_id text not null, url text not null, format text not null, events text, secret text not null, basic_username text, ' +
      'basic_password text, bearer_token text, enabled integer not null, disabled_reason text, retry_schedule text, coalesce_seconds integer, ' +
      'max_in_flight integer not null, options text not null, token_kind text not null, failing_since_ms bigint, created_ms bigint not null, ' +
      'updated_ms bigint not null, author_application_id integer, paused_until_ms bigint, pause_cooldown_ms bigint, probe_owner text, ' +
      'probe_until_ms bigint, previous_secret text, previous_secret_until_ms bigint, removing_ms bigint',
  },
  indexes: [
    'CREATE INDEX attempts_delivery ON attempts (delivery_id, attempt_no)',
    'CREATE INDEX attempts_started ON attempts (started_ms)',
    'CREATE INDEX attempts_webhook_time ON attempts (account_id, started_ms)',
    'CREATE INDEX deliveries_account_time ON deliveries (account_id, created_ms)',
    'CREATE INDEX deliveries_completed ON deliveries (completed_ms) WHERE (completed_ms IS NOT NULL)',
    "CREATE INDEX deliveries_due ON deliveries (next_attempt_ms) WHERE (status = 'pending'::text)",
    'CREATE INDEX deliveries_event ON deliveries (event_id)',
    'CREATE INDEX deliveries_leased ON deliveries (lease_owner) WHERE (lease_owner IS NOT NULL)',
    'CREATE INDEX deliveries_webhook ON deliveries (account_id, webhook_id, created_ms)',
    'CREATE INDEX document_lines_document ON document_lines (account_id, document_id, line_no)',
    'CREATE INDEX documents_account ON documents (account_id, id)',
    'CREATE INDEX events_time ON events (account_id, occurred_ms)',
    'CREATE INDEX events_unsequenced ON events (pos) WHERE (seq IS NULL)',
    'CREATE INDEX idempotency_requests_created ON idempotency_requests (created_ms)',
    'CREATE INDEX movements_document ON movements (account_id, document_id)',
    'CREATE INDEX movements_level_time ON movements (account_id, stock_level_id, created_ms, amount_delta, reserved_delta)',
    'CREATE INDEX outbound_order_items_order ON outbound_order_items (account_id, order_id)',
    'CREATE INDEX outbound_orders_account ON outbound_orders (account_id, id)',
    'CREATE INDEX products_account ON products (account_id, id)',
    'CREATE INDEX products_supplier ON products (account_id, supplier_product_id)',
    'CREATE INDEX replays_account ON replays (account_id, started_ms)',
    'CREATE INDEX source_requests_fetch_due ON source_requests (fetch_due_ms) WHERE (fetch_due_ms IS NOT NULL)',
    'CREATE INDEX source_requests_source ON source_requests (source_id, id)',
    'CREATE INDEX source_unmatched_source ON source_unmatched (source_id, booked_ms, id)',
    'CREATE INDEX sources_account ON sources (account_id, id)',
    'CREATE INDEX stock_items_account ON stock_items (account_id, id)',
    'CREATE INDEX stock_levels_updated ON stock_levels (account_id, updated_ms)',
    'CREATE INDEX tokens_account ON tokens (account_id)',
    'CREATE INDEX warehouses_account ON warehouses (account_id, id)',
    'CREATE INDEX webhooks_account ON webhooks (account_id, enabled)',
    'CREATE UNIQUE INDEX deliveries_coalesce ON deliveries (coalesce_key) WHERE (coalesce_key IS NOT NULL)',
    'CREATE UNIQUE INDEX events_seq ON events (account_id, seq)',
    'CREATE UNIQUE INDEX sources_path_token ON sources (path_token)',
    'CREATE UNIQUE INDEX stock_levels_key ON stock_levels (account_id, product_id, warehouse_id, size, lot, expiry, serial, location)',
    'CREATE UNIQUE INDEX tokens_id ON tokens (id)',
  ],
  constraints: [
    'accounts: accounts_number_key UNIQUE (number)',
    pkey('accounts'),
    'accounts: accounts_slug_key UNIQUE (slug)',
    'application_secrets: application_secrets_pk PRIMARY KEY (account_id, application_id)',
    pkey('applications'),
    pkey('attempts'),
    pkey('deliveries'),
    pkey('document_lines'),
    pkey('documents'),
    pkey('events'),
    pkey('history_horizons', 'account_id'),
    'idempotency_requests: idempotency_requests_pk PRIMARY KEY (account_id, principal, key)',
    'installations: installations_pk PRIMARY KEY (account_id, application_id)',
    pkey('movements'),
    pkey('outbound_order_items'),
    pkey('outbound_orders'),
    pkey('products'),
    pkey('replays'),
    pkey('settings', 'key'),
    'source_deliveries: source_deliveries_pk PRIMARY KEY (source_id, delivery_key)',
    'source_mappings: source_mappings_pk PRIMARY KEY (source_id, kind, external_id)',
    'source_marks: source_marks_pk PRIMARY KEY (source_id, key)',
    pkey('source_requests'),
    pkey('source_unmatched'),
    pkey('sources'),
    pkey('stock_items'),
    pkey('stock_levels'),
    pkey('tokens', 'token_hash'),
    pkey('warehouses'),
    pkey('webhooks'),
  ],
  triggers: [
    'CREATE TRIGGER accounts_subscribers_version BEFORE UPDATE OF number, slug, plan ON accounts FOR EACH ROW EXECUTE FUNCTION stockhook_subscribers_changed()',
    `CREATE TRIGGER webhooks_subscribers_version AFTER INSERT OR DELETE OR UPDATE OF ${WATCHED} ON webhooks FOR EACH ROW EXECUTE FUNCTION stockhook_subscribers_changed()`,
    'CREATE TRIGGER webhooks_truncated_version AFTER TRUNCATE ON webhooks FOR EACH STATEMENT EXECUTE FUNCTION stockhook_subscribers_changed()',
  ],
  functions: [
    'stockhook_subscribers_changed() returns trigger [search_path="$user", public]: begin ' +
      `if tg_table_name = 'accounts' then new.subscribers_version := ${NEXT}; return new; end if; ` +
      `if tg_level = 'STATEMENT' then update accounts set subscribers_version = ${NEXT}; return null; end if; ` +
      `update accounts set subscribers_version = ${NEXT} where id in (coalesce(new.account_id, old.account_id), coalesce(old.account_id, new.account_id)); ` +
      'return null; end',
  ],
  sequences: [
    'applications_id_seq integer', 'attempts_id_seq integer', 'document_lines_id_seq integer', 'documents_id_seq integer', 'events_pos_seq bigint',
    'movements_id_seq integer', 'outbound_order_items_id_seq integer', 'outbound_orders_id_seq integer', 'products_id_seq integer',
    'source_unmatched_id_seq integer', 'sources_id_seq integer',
    'stock_items_id_seq integer', 'stock_levels_id_seq integer', 'subscribers_versions bigint', 'warehouses_id_seq integer',
  ],
};
