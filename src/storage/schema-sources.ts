import type { Generated } from 'kysely';

/** The inbound sources' tables (migration 021; src/sources/). */
export interface SourceTable {
  id: Generated<number>;
  account_id: string;
  name: string;
  /** metakocka | poster | cyclesoftware | kladana | native */
  format: string;
  /** Kept in clear: every request is verified with it (like a subscription's signing secret). */
  secret: string | null;
  /** The Authorization header a Kladana reportUrl is fetched with. */
  report_authorization: string | null;
  /** A reportUrl must start with this, or it is not fetched (the credentials go nowhere else). */
  report_base_url: string | null;
  /** sku | code | explicit */
  mapping: string;
  allow_create: number;
  default_warehouse_id: number | null;
  /** JSON array of subscription ids that are the source's own system (no echo). */
  own_webhook_ids: string;
  path_token: string;
  enabled: number;
  created_ms: number;
  updated_ms: number;
}

export interface SourceMappingTable {
  source_id: number;
  /** product | warehouse */
  kind: string;
  external_id: string;
  account_id: string;
  target_id: number;
  created_ms: number;
}

export interface SourceUnmatchedTable {
  id: Generated<number>;
  account_id: string;
  source_id: number;
  request_id: string | null;
  product_ref: string;
  warehouse_ref: string;
  reason: string;
  /** The raw row as the vendor sent it (JSON) plus what booking it needs. */
  row: string;
  created_ms: number;
  booked_ms: number | null;
  document_id: number | null;
}

export interface SourceRequestTable {
  id: string;
  account_id: string;
  source_id: number;
  received_ms: number;
  delivery_key: string | null;
  headers: string;
  body: string;
  body_truncated: number;
  verified: number;
  verify_reason: string | null;
  answer_status: number;
  answer_body: string;
  /** booked | duplicate | refused | stale | unmatched | ignored | failed | pending */
  outcome: string;
  /** JSON: what it booked or why not. */
  detail: string;
  /** When a Kladana report is next fetched (a claim moves it to now + lease); null: nothing to fetch (migration 023). */
  fetch_due_ms: number | null;
  /** The claim of the process fetching the report now. */
  fetch_lease: string | null;
  fetch_attempts: Generated<number>;
}

export interface SourceDeliveryTable {
  source_id: number;
  delivery_key: string;
  request_id: string;
  created_ms: number;
}

export interface SourceMarkTable {
  source_id: number;
  key: string;
  mark: number;
  updated_ms: number;
}

export interface SourceTables {
  sources: SourceTable;
  source_mappings: SourceMappingTable;
  source_unmatched: SourceUnmatchedTable;
  source_requests: SourceRequestTable;
  source_deliveries: SourceDeliveryTable;
  source_marks: SourceMarkTable;
}
