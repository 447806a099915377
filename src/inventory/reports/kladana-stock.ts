import { sql } from 'kysely';
import type { Db, Tx } from '../../storage/database.js';
import { round } from '../../quantity.js';

export interface KladanaStockAll {
  assortmentId: number;
  stock: number;
}

export interface KladanaStockByStore extends KladanaStockAll {
  storeId: number;
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
