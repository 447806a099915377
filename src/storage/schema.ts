import type { Generated } from 'kysely';
import type { SourceTables } from './schema-sources.js';

/**
 * Column conventions, chosen so both databases return the same JS values:
 * - times are integer epoch milliseconds (`*_ms`), never driver-specific Date objects;
 * - booleans are 0/1 integers;
 * - JSON is stored as text and parsed by the domain code;
 * - the parts of a stock key that can be absent are '' (not NULL) so a unique index covers them.
 */
export interface AccountTable {
  id: string;
  number: number;
  slug: string;
  name: string;
  plan: 'free' | 'paid';
  /** Last event sequence number handed out: by the writing transaction on SQLite (events/outbox.ts), after commit on PostgreSQL (storage/postgres/event-sequencer.ts). */
  event_seq: number;
  /** A new, never repeated value (by triggers) whenever the account's subscribers could read differently (migration 017); SQLite's writes reuse their subscribers while it holds. */
  subscribers_version: Generated<number>;
  created_ms: number;
}

export interface TokenTable {
  token_hash: string;
  account_id: string;
  kind: 'user' | 'application';
  application_id: number | null;
  created_ms: number;
  /** The public id (`tok_…`) routes name the token by; never the secret. */
  id: string;
  name: string;
  /** `read`: GET and HEAD only; `write`: everything the token's kind may do. */
  scope: 'read' | 'write';
  /** At most a minute behind the last request that used it (accounts/token-use.ts). */
  last_used_ms: number | null;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface WarehouseTable {
  id: Generated<number>;
  account_id: string;
  code: string;
  name: string;
  active: number;
  deleted: number;
  created_ms: number;
  updated_ms: number;
}

export interface ProductTable {
  id: Generated<number>;
  account_id: string;
  code: string;
  sku: string;
  title: string;
  unit: string;
  price: number;
  supplier_product_id: string | null;
  /** JSON array of {value, sizeId}. */
  sizes: string;
  deleted: number;
  created_ms: number;
  updated_ms: number;
}

export interface DocumentTable {
  id: Generated<number>;
  account_id: string;
  type: string;
  warehouse_id: number;
  to_warehouse_id: number | null;
  reference: string | null;
  status: 'posted' | 'cancelled';
  /** Set on a reversal: the document it cancels. */
  reverses_id: number | null;
  reversed_by_id: number | null;
  source: string | null;
  /** `user` or `application:<id>`: the token that posted it; null when stockhook wrote it or before this was recorded. */
  author: string | null;
  created_ms: number;
}

/** The stock key's dimensions besides warehouse and product; '' when absent, so keys compare by value. */
export interface KeyColumns {
  size: string;
  lot: string;
  expiry: string;
  serial: string;
  location: string;
}

export interface DocumentLineTable extends KeyColumns {
  id: Generated<number>;
  account_id: string;
  document_id: number;
  line_no: number;
  product_id: number;
  quantity: number;
}

export interface StockLevelTable extends KeyColumns {
  id: Generated<number>;
  account_id: string;
  warehouse_id: number;
  product_id: number;
  amount: number;
  reserved: number;
  /** Bumped on every change of this key, so receivers can drop stale updates. */
  version: number;
  updated_ms: number;
}

export interface MovementTable {
  id: Generated<number>;
  account_id: string;
  document_id: number;
  stock_level_id: number;
  amount_delta: number;
  reserved_delta: number;
  created_ms: number;
}

export interface EventTable {
  id: string;
  account_id: string;
  /** PostgreSQL: null until storage/postgres/event-sequencer.ts numbers it after commit; readers skip those. */
  seq: number | null;
  type: string;
  object: string;
  object_id: string;
  action: string;
  occurred_ms: number;
  data: string;
}

export interface IdempotencyRequestTable {
  /** '' for the administrator's requests (no account). */
  account_id: string;
  /** SHA-256 of the credential that sent the request: keys never cross tokens. */
  principal: string;
  key: string;
  request_hash: string;
  created_ms: number;
  /** Null while the request that claimed the key has not answered yet. */
  status_code: number | null;
  /** The answer, sealed with the caller's token (http/idempotency/sealed-response.ts). */
  response: string | null;
}

export interface OutboundOrderTable {
  id: Generated<number>;
  account_id: string;
  warehouse_id: number;
  type_id: number;
  status_id: number;
  dealer_id: number;
  order_account_id: number;
  preferred_delivery_ms: number | null;
  sales_order_id: number | null;
  reference_text: string;
  created_ms: number;
  updated_ms: number;
}

export interface OutboundOrderItemTable {
  id: Generated<number>;
  account_id: string;
  order_id: number;
  product_id: number;
  item_type_id: number;
  active: number;
  barcode: string;
  quantity: number;
  quantity_claimed: number;
  quantity_shipped: number;
  blocked_for_claiming: number;
  description: string;
  remark: string;
  reference: string;
  sold_to_customer: number;
  attached_to_item_id: number | null;
  pooled_within_stores: number;
}

export interface StockItemTable {
  id: Generated<number>;
  account_id: string;
  /** JSON object with the CycleSoftware (docs/formats/cyclesoftware.md) attributes, in our camelCase names. */
  attributes: string;
  released: number;
  deleted: number;
  created_ms: number;
  updated_ms: number;
}

export interface WebhookTable {
  id: string;
  account_id: string;
  url: string;
  format: string;
  events: string | null;
  secret: string;
  basic_username: string | null;
  basic_password: string | null;
  bearer_token: string | null;
  enabled: number;
  disabled_reason: string | null;
  retry_schedule: string | null;
  coalesce_seconds: number | null;
  max_in_flight: number;
  options: string;
  token_kind: string;
  /** The application whose token created it; null when the account's user did. */
  author_application_id: number | null;
  failing_since_ms: number | null;
  /** Circuit breaker open for every worker until then (migration 012); null when closed. */
  paused_until_ms: number | null;
  pause_cooldown_ms: number | null;
  /** The worker holding the one probe once the pause is over, and until when. */
  probe_owner: string | null;
  probe_until_ms: number | null;
  /** The secret a rotation replaced, still signing beside `secret` until previous_secret_until_ms (migration 018). */
  previous_secret: string | null;
  previous_secret_until_ms: number | null;
  /** Being removed since then: only its last hook is still sent, then the dispatcher deletes it (migration 020). */
  removing_ms: number | null;
  created_ms: number;
  updated_ms: number;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed' | 'dropped' | 'held' | 'cancelled';

export interface DeliveryTable {
  id: string;
  account_id: string;
  webhook_id: string;
  event_id: string | null;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_ms: number;
  lease_owner: string | null;
  coalesce_key: string | null;
  url: string;
  /** JSON object of the headers rendered with the body; per-attempt headers (signatures) are added at send time. */
  headers: string;
  body: string;
  last_status_code: number | null;
  last_error: string | null;
  created_ms: number;
  completed_ms: number | null;
}

export interface AttemptTable {
  id: Generated<number>;
  account_id: string;
  delivery_id: string;
  webhook_id: string;
  attempt_no: number;
  started_ms: number;
  duration_ms: number;
  request_headers: string;
  response_status: number | null;
  response_headers: string | null;
  response_body: string | null;
  error_kind: string | null;
  error_message: string | null;
  outcome: string;
}

export interface ReplayTable {
  id: string;
  account_id: string;
  webhook_id: string;
  since_ms: number;
  status: 'running' | 'done' | 'failed';
  events_total: number;
  events_done: number;
  deliveries: number;
  error: string | null;
  started_ms: number;
  heartbeat_ms: number;
  finished_ms: number | null;
}

export interface ApplicationTable {
  id: Generated<number>;
  name: string;
  created_ms: number;
  /** The application's own Poster webhook, subscribed for every account that installs it. */
  webhook_url: string | null;
  /** JSON array of Poster entities. */
  webhook_objects: string | null;
  webhook_secret: string | null;
}

export interface InstallationTable {
  account_id: string;
  application_id: number;
  installed_ms: number;
}

/** The one clear copy of an installed application's access token (Poster's `application`/`added` sends it). */
export interface ApplicationSecretTable {
  account_id: string;
  application_id: number;
  access_token: string;
  created_ms: number;
}

/** Per account, the newest event the retention pruner deleted (retention/history.ts). */
export interface HistoryHorizonTable {
  account_id: string;
  events_pruned_seq: number;
  events_pruned_ms: number;
}

export interface Database extends SourceTables {
  accounts: AccountTable;
  tokens: TokenTable;
  settings: SettingTable;
  warehouses: WarehouseTable;
  products: ProductTable;
  documents: DocumentTable;
  document_lines: DocumentLineTable;
  stock_levels: StockLevelTable;
  movements: MovementTable;
  events: EventTable;
  idempotency_requests: IdempotencyRequestTable;
  history_horizons: HistoryHorizonTable;
  outbound_orders: OutboundOrderTable;
  outbound_order_items: OutboundOrderItemTable;
  stock_items: StockItemTable;
  webhooks: WebhookTable;
  deliveries: DeliveryTable;
  attempts: AttemptTable;
  applications: ApplicationTable;
  installations: InstallationTable;
  application_secrets: ApplicationSecretTable;
  replays: ReplayTable;
}
