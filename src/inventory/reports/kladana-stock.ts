import { sql } from 'kysely';
import type { Db, Tx } from '../../storage/database.js';
import { round } from '../stock-events.js';

export type KladanaReportType = 'all' | 'bystore';

export interface KladanaStockAll {
  assortmentId: number;
  stock: number;
}

export interface KladanaStockByStore extends KladanaStockAll {
  storeId: number;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

/**
 * Parses Kladana's `YYYY-MM-DD HH:mm:ss` as UTC epoch milliseconds; undefined when malformed or
 * not a real date (2022-02-30 would otherwise roll over into March).
 */
export function parseKladanaDate(s: string): number | undefined {
  const m = DATE_RE.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const t = new Date(ms);
  const same =
    t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d &&
    t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === se;
  return same ? ms : undefined;
}

/** Epoch milliseconds as Kladana's `YYYY-MM-DD HH:mm:ss` in UTC; the fraction of a second is dropped. */
export function formatKladanaDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The report path a `kladana` notification's `reportUrl` points at (prefix it with the public base
 * URL). The space is left as is: seed 001 shows it that way, and receivers fetch the URL verbatim.
 *
 * @example
 * kladanaReportPath('all', Date.UTC(2022, 8, 24, 19, 14, 32))
 * // '/api/remap/1.2/report/stock/all/current?fromDate=2022-09-24 19:14:32'
 */
export function kladanaReportPath(reportType: KladanaReportType, fromMs: number): string {
  return `/api/remap/1.2/report/stock/${reportType}/current?fromDate=${formatKladanaDate(fromMs)}`;
}

/**
 * Current full balances (stock = amount over every stock key) of each product, or product and
 * warehouse pair, with any stock level updated at or after `sinceMs`; zeros included, so a
 * receiver learns that something ran out. Without `sinceMs`: everything that ever had stock.
 */
export async function kladanaStockAll(db: Db | Tx, accountId: string, sinceMs?: number): Promise<KladanaStockAll[]> {
  let q = db
    .selectFrom('stock_levels')
    .select(['product_id', sql<number>`sum(amount)`.as('stock')])
    .where('account_id', '=', accountId);
  if (sinceMs !== undefined) q = q.where('product_id', 'in', changedProducts(db, accountId, sinceMs));
  const rows = await q.groupBy('product_id').orderBy('product_id').execute();
  return rows.map((r) => ({ assortmentId: Number(r.product_id), stock: round(Number(r.stock)) }));
}

export async function kladanaStockByStore(db: Db | Tx, accountId: string, sinceMs?: number): Promise<KladanaStockByStore[]> {
  let q = db
    .selectFrom('stock_levels')
    .select(['product_id', 'warehouse_id', sql<number>`sum(amount)`.as('stock')])
    .where('account_id', '=', accountId)
    .groupBy(['product_id', 'warehouse_id']);
  if (sinceMs !== undefined) {
    // The IN narrows the scan to changed products; HAVING then keeps only the pairs that changed.
    q = q
      .where('product_id', 'in', changedProducts(db, accountId, sinceMs))
      .having(sql<number>`max(updated_ms)`, '>=', sinceMs);
  }
  const rows = await q.orderBy('product_id').orderBy('warehouse_id').execute();
  return rows.map((r) => ({
    assortmentId: Number(r.product_id),
    storeId: Number(r.warehouse_id),
    stock: round(Number(r.stock)),
  }));
}

// Served by the (account_id, updated_ms) index, so a report after a quiet minute reads few rows.
const changedProducts = (db: Db | Tx, accountId: string, sinceMs: number) =>
  db
    .selectFrom('stock_levels')
    .select('product_id')
    .where('account_id', '=', accountId)
    .where('updated_ms', '>=', sinceMs);
