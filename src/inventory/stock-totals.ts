import { sql } from 'kysely';
import { round } from '../quantity.js';
import type { Db } from '../storage/database.js';
import { filteredStock, type StockFilter } from './stock-list.js';

export interface StockTotal {
  keys: number;
  amount: number;
  reserved: number;
  free: number;
}

/** Products summed at most: a total per product beyond this many is left out (productsComplete false). */
export const MAX_PRODUCT_TOTALS = 1000;

type Filter = Omit<StockFilter, 'limit' | 'cursor' | 'withProduct' | 'sort' | 'dir'>;

/**
 * The stock view's totals for a filter: overall, per warehouse and per product, over every key the
 * list would show (not one page), now or at a past moment. Summed by the database over the list's
 * own filtered keys, so they are the sums of the rows the list and the CSV export give.
 */
export async function stockTotals(
  db: Db,
  accountId: string,
  f: Filter,
): Promise<{ warehouses: Array<StockTotal & { warehouseId: number }>; products: Array<StockTotal & { productId: number }>; productsComplete: boolean; all: StockTotal }> {
  const keys = () => db.selectFrom(filteredStock(db, accountId, f).q.as('k'));
  const sums = [sql<number>`count(*)`.as('keys'), sql<number>`sum(k.amount)`.as('amount'), sql<number>`sum(k.reserved)`.as('reserved')];
  const [all, warehouses, products] = await Promise.all([
    keys().select(sums).executeTakeFirst(),
    keys().select('k.warehouse_id').select(sums).groupBy('k.warehouse_id').orderBy('k.warehouse_id').execute(),
    keys().select('k.product_id').select(sums).groupBy('k.product_id').orderBy('k.product_id').limit(MAX_PRODUCT_TOTALS + 1).execute(),
  ]);
  const total = (r: { keys: unknown; amount: unknown; reserved: unknown } | undefined): StockTotal => {
    const amount = round(Number(r?.amount ?? 0));
    const reserved = round(Number(r?.reserved ?? 0));
    return { keys: Number(r?.keys ?? 0), amount, reserved, free: round(amount - reserved) };
  };
  return {
    all: total(all),
    warehouses: warehouses.map((r) => ({ warehouseId: Number(r.warehouse_id), ...total(r) })),
    products: products.slice(0, MAX_PRODUCT_TOTALS).map((r) => ({ productId: Number(r.product_id), ...total(r) })),
    productsComplete: products.length <= MAX_PRODUCT_TOTALS,
  };
}
