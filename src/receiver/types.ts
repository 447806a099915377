/** Payload types of every format, for receivers written in TypeScript. */

export interface NativeEnvelope<T = Record<string, unknown>> {
  id: string;
  type: string;
  timestamp: string;
  account_id: string;
  data: T;
}

/** A stock key as the API and the native format show it: absent dimensions are null. */
export interface StockKeyView {
  warehouseId: number;
  productId: number;
  size: string | null;
  lot: string | null;
  expiry: string | null;
  serial: string | null;
  location: string | null;
}

export interface StockChangedData extends StockKeyView {
  amount: number;
  reserved: number;
  free: number;
  amountDelta: number;
  reservedDelta: number;
  /** Grows by one on every change of this stock key: drop updates older than one you applied. */
  version: number;
  documentId: number | null;
  documentType: string | null;
  reversal: boolean;
  reference: string | null;
}

export interface MetakockaStockRow {
  warehouse_id: string;
  mk_id: string;
  count_code: string;
  code: string;
  title: string;
  amount: string;
  reserved_amount: string;
  free_amount: string;
  unit: string;
  lot_number?: string;
  expiration_date?: string;
  serial_number?: string;
  micro_location?: string;
  size?: string;
}

export interface MetakockaStockUpdate {
  opr_code: string;
  opr_time_ms: string;
  stock_list_count: string;
  stock_list: MetakockaStockRow[];
}

export interface KladanaNotification {
  accountId: string;
  stockType: 'stock';
  reportType: 'all' | 'bystore';
  reportUrl: string;
}

export interface PosterWebhook {
  account: string;
  account_number: string;
  object: string;
  object_id: number;
  action: 'added' | 'changed' | 'removed' | 'transformed';
  time: string;
  verify: string;
  /** A JSON-encoded string; parse it after verifying. */
  data?: string;
}

export interface PosterStockData {
  type: number;
  element_id: number;
  storage_id: number;
  value_relative: number;
  value_absolute: number;
}

export interface CycleSoftwareEnvelope<T = Record<string, unknown>> {
  id: string;
  account_id: number;
  event_name: string;
  event_timestamp: number;
  payload: T;
}

export interface MarketplaceSalesWebhook {
  products: Array<{ id: number; sizes: Array<{ value: string; count: number; soldCount: number; sizeId: number }> }>;
}
