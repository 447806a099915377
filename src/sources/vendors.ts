import type { StockItemAttributesInput } from '../inventory/stock-item-attributes.js';
import { header, type HeadersLike } from '../receiver/compare.js';
import { BadPayload } from './bad-payload.js';
import { stockItemAttributes } from './cyclesoftware-item.js';

export { BadPayload } from './bad-payload.js';

/** The formats a source can speak: the vendors whose own webhooks stockhook books. */
export const SOURCE_FORMATS = ['metakocka', 'poster', 'cyclesoftware', 'kladana', 'native'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** How the vendor names a product: its id, and the sku or code a mapping rule may match. */
export interface ProductRef {
  id: string;
  sku?: string;
  code?: string;
  title?: string;
}

/** The key parts of a balance beyond product and warehouse (absent = ''). */
export interface RowParts {
  size: string;
  lot: string;
  expiry: string;
  serial: string;
  location: string;
}

/** One absolute amount the vendor reports at one key: booked as a line of a `count` document. */
export interface BalanceRow {
  product: ProductRef;
  /** The vendor's warehouse id; null when the vendor names none (the source's default warehouse). */
  warehouse: string | null;
  parts: RowParts;
  amount: number;
  /** The vendor's own timestamp or sequence for this balance, where it has one (stale skip). */
  mark: number | null;
  /** The row as the vendor sent it, kept with an unmatched row. */
  raw: unknown;
}

/** What one request asks stockhook to do. */
export type Parsed =
  | { kind: 'balances'; rows: BalanceRow[] }
  | { kind: 'report'; url: string; reportType: 'all' | 'bystore' }
  | { kind: 'stock-item'; event: string; itemId: string; attributes: StockItemAttributesInput; mark: number | null }
  | { kind: 'ignored'; reason: string };


export interface Answer {
  status: number;
  body: string;
  contentType: string | null;
}

export interface InboundParts {
  headers: HeadersLike;
  query: Record<string, string | undefined>;
  json: unknown;
}

/** One vendor's inbound side: its delivery identity, what its body means, and how it expects to be answered. */
export interface Vendor {
  deliveryKey(req: InboundParts): string | null;
  parse(req: InboundParts): Parsed;
  ok: Answer;
  refused: Answer;
}

/** More rows than any of the vendors sends for one change; a bigger body is refused, not half-booked. */
export const MAX_ROWS = 10_000;
const MAX_TEXT = 200;

const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body), contentType: 'application/json' });
const empty = (status: number): Answer => ({ status, body: '', contentType: null });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A bounded string field (the vendors send ids as strings or numbers); '' when absent. */
function text(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') throw new BadPayload(`${field} is not a string`);
  if (v.length > MAX_TEXT) throw new BadPayload(`${field} is longer than ${MAX_TEXT} characters`);
  return v;
}

/** A finite number, given as a number or a decimal string (MetaKocka sends amounts as strings). */
function num(v: unknown, field: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new BadPayload(`${field} is not a number`);
  return n;
}

function required(v: unknown, field: string): string {
  const s = text(v, field);
  if (s === '') throw new BadPayload(`${field} is missing`);
  return s;
}

const noParts = (): RowParts => ({ size: '', lot: '', expiry: '', serial: '', location: '' });

/**
 * MetaKocka `warehouse_product_stock_update`: every `stock_list` row is the absolute amount of a
 * product at a warehouse, one row per lot / expiry / serial / micro-location. The product's
 * `count_code` is what stockhook's own MetaKocka format fills from the SKU, `code` from the code,
 * `mk_id` is MetaKocka's id (the explicit map's key). `opr_time_ms` orders updates when non-zero.
 */
const metakocka: Vendor = {
  deliveryKey: (r) => header(r.headers, 'x-metakocka-id') ?? null,
  parse(r) {
    const event = header(r.headers, 'x-metakocka-event');
    if (event !== 'warehouse_product_stock_update') return { kind: 'ignored', reason: `event ${String(event)} books no stock` };
    const b = r.json;
    if (!isObject(b) || !Array.isArray(b.stock_list)) throw new BadPayload('stock_list is missing');
    if (b.stock_list.length > MAX_ROWS) throw new BadPayload(`stock_list has more than ${MAX_ROWS} rows`);
    const time = b.opr_time_ms === undefined ? 0 : num(b.opr_time_ms, 'opr_time_ms');
    const rows = b.stock_list.map((row, i): BalanceRow => {
      if (!isObject(row)) throw new BadPayload(`stock_list[${i}] is not an object`);
      const f = (k: string) => text(row[k], `stock_list[${i}].${k}`);
      return {
        product: { id: required(row.mk_id, `stock_list[${i}].mk_id`), sku: f('count_code'), code: f('code'), title: f('title') },
        warehouse: required(row.warehouse_id, `stock_list[${i}].warehouse_id`),
        parts: { size: f('size'), lot: f('lot_number'), expiry: f('expiration_date'), serial: f('serial_number'), location: f('micro_location') },
        amount: num(row.amount, `stock_list[${i}].amount`),
        mark: time > 0 ? time : null,
        raw: row,
      };
    });
    return { kind: 'balances', rows };
  },
  ok: json(200, { status: 'ok' }),
  refused: json(401, { status: 'error', message: 'signature does not verify' }),
};

/** Poster: `stock` hooks carry `value_absolute` of `element_id` at `storage_id` in `data` (a JSON string); `time` orders them. */
const poster: Vendor = {
  deliveryKey(r) {
    if (!isObject(r.json)) return null;
    const b = r.json;
    return [b.account, b.object, b.object_id, b.action, b.time].map((v) => String(v)).join('/');
  },
  parse(r) {
    const b = r.json;
    if (!isObject(b)) throw new BadPayload('body is not an object');
    if (b.object !== 'stock') return { kind: 'ignored', reason: `object ${String(b.object)} books no stock` };
    if (b.action === 'removed') return { kind: 'ignored', reason: 'a removed stock row names no balance' };
    if (typeof b.data !== 'string') throw new BadPayload('data is missing');
    let d: unknown;
    try {
      d = JSON.parse(b.data);
    } catch {
      throw new BadPayload('data is not JSON');
    }
    if (!isObject(d)) throw new BadPayload('data is not an object');
    return {
      kind: 'balances',
      rows: [
        {
          product: { id: required(d.element_id, 'data.element_id') },
          warehouse: required(d.storage_id, 'data.storage_id'),
          parts: noParts(),
          amount: num(d.value_absolute, 'data.value_absolute'),
          mark: num(b.time, 'time'),
          raw: d,
        },
      ],
    };
  },
  ok: json(200, { status: 'accept' }),
  refused: json(403, { status: 'refused' }),
};

/** Another stockhook's native `stock.changed`: the key's amount, ordered by the key's version. */
const native: Vendor = {
  deliveryKey: (r) => header(r.headers, 'webhook-id') ?? null,
  parse(r) {
    const b = r.json;
    if (!isObject(b) || !isObject(b.data)) throw new BadPayload('not a native envelope');
    if (b.type !== 'stock.changed') return { kind: 'ignored', reason: `event ${String(b.type)} books no stock` };
    const d = b.data;
    const f = (k: string) => text(d[k], `data.${k}`);
    return {
      kind: 'balances',
      rows: [
        {
          product: { id: required(d.productId, 'data.productId') },
          warehouse: required(d.warehouseId, 'data.warehouseId'),
          parts: { size: f('size'), lot: f('lot'), expiry: f('expiry'), serial: f('serial'), location: f('location') },
          amount: num(d.amount, 'data.amount'),
          mark: num(d.version, 'data.version'),
          raw: d,
        },
      ],
    };
  },
  ok: empty(204),
  refused: json(401, { error: 'signature does not verify' }),
};

/** Kladana: a thin notification; the balances are in the report at `reportUrl`, fetched after answering. */
const kladana: Vendor = {
  deliveryKey: (r) => r.query.requestId ?? null,
  parse(r) {
    const b = r.json;
    if (!isObject(b)) throw new BadPayload('body is not an object');
    if (b.stockType !== 'stock') throw new BadPayload('stockType is not stock');
    if (b.reportType !== 'all' && b.reportType !== 'bystore') throw new BadPayload('reportType is not all or bystore');
    if (typeof b.reportUrl !== 'string' || b.reportUrl.length > 2048) throw new BadPayload('reportUrl is missing');
    return { kind: 'report', url: b.reportUrl, reportType: b.reportType };
  },
  ok: empty(204),
  refused: empty(404),
};

/** The rows of a Kladana balance report: `all` [{assortmentId, stock}], `bystore` [{assortmentId, storeId, stock}]. */
export function kladanaRows(report: unknown, reportType: 'all' | 'bystore'): BalanceRow[] {
  const rows = isObject(report) && Array.isArray(report.rows) ? report.rows : report;
  if (!Array.isArray(rows)) throw new BadPayload('the report is not a list of rows');
  if (rows.length > MAX_ROWS) throw new BadPayload(`the report has more than ${MAX_ROWS} rows`);
  return rows.map((row, i): BalanceRow => {
    if (!isObject(row)) throw new BadPayload(`report row ${i} is not an object`);
    return {
      product: { id: required(row.assortmentId, `rows[${i}].assortmentId`) },
      warehouse: reportType === 'bystore' ? required(row.storeId, `rows[${i}].storeId`) : null,
      parts: noParts(),
      amount: num(row.stock, `rows[${i}].stock`),
      mark: null,
      raw: row,
    };
  });
}

const STOCK_ITEM_EVENTS = new Set(['warehouse_stock_item.updated', 'warehouse_stock_item.released_for_shipment']);

/** CycleSoftware: the envelope's id is the delivery; stock item events name the serialized item. */
const cyclesoftware: Vendor = {
  deliveryKey: (r) => header(r.headers, 'x-cyclesoftware-delivery') ?? (isObject(r.json) && typeof r.json.id === 'string' ? r.json.id : null),
  parse(r) {
    const b = r.json;
    if (!isObject(b) || !isObject(b.payload)) throw new BadPayload('not a CycleSoftware envelope');
    const event = text(b.event_name, 'event_name');
    if (!STOCK_ITEM_EVENTS.has(event)) return { kind: 'ignored', reason: `event ${event} books no stock` };
    const ts = b.event_timestamp === undefined ? null : num(b.event_timestamp, 'event_timestamp');
    const itemId = required(b.payload.warehouse_stock_item_id, 'payload.warehouse_stock_item_id');
    return { kind: 'stock-item', event, itemId, attributes: stockItemAttributes(b.payload), mark: ts };
  },
  ok: json(200, { received: true }),
  refused: json(401, { error: 'signature does not verify' }),
};

export const VENDORS: Record<SourceFormat, Vendor> = { metakocka, poster, cyclesoftware, kladana, native };
