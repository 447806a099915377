import { round } from '../quantity.js';
import type { Db } from '../storage/database.js';
import { listStock, type StockFilter } from './stock-list.js';

export interface StockTotal {
  keys: number;
  amount: number;
  reserved: number;
  free: number;
}

/** Products summed at most: a total per product beyond this many is left out (productsComplete false). */
export const MAX_PRODUCT_TOTALS = 1000;
const PAGE = 1000;

/**
 * The stock view's totals for a filter: per warehouse and per product, over every key the list
 * would show (not one page), now or at a past moment. Summed from the list's own pages, so the
 * totals are always the sum of the rows the list and the CSV export give.
 */
export async function stockTotals(
  db: Db,
  accountId: string,
  f: Omit<StockFilter, 'limit' | 'cursor' | 'withProduct'>,
): Promise<{ warehouses: Array<StockTotal & { warehouseId: number }>; products: Array<StockTotal & { productId: number }>; productsComplete: boolean; all: StockTotal }> {
  const wh = new Map<number, StockTotal>();
  const pr = new Map<number, StockTotal>();
  const all: StockTotal = { keys: 0, amount: 0, reserved: 0, free: 0 };
  const add = (t: StockTotal, l: { amount: number; reserved: number; free: number }) => {
    t.keys += 1;
    t.amount += l.amount;
    t.reserved += l.reserved;
    t.free += l.free;
  };
  let cursor: string | undefined;
  do {
    const page = await listStock(db, accountId, { ...f, limit: PAGE, cursor });
    for (const l of page.data) {
      if (!wh.has(l.warehouseId)) wh.set(l.warehouseId, { keys: 0, amount: 0, reserved: 0, free: 0 });
      add(wh.get(l.warehouseId) as StockTotal, l);
      if (!pr.has(l.productId) && pr.size < MAX_PRODUCT_TOTALS + 1) pr.set(l.productId, { keys: 0, amount: 0, reserved: 0, free: 0 });
      const p = pr.get(l.productId);
      if (p) add(p, l);
      add(all, l);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  const tidy = (t: StockTotal): StockTotal => ({ keys: t.keys, amount: round(t.amount), reserved: round(t.reserved), free: round(t.free) });
  // Keys come in product order, so the (MAX+1)th product seen is the first one left out.
  const productsComplete = pr.size <= MAX_PRODUCT_TOTALS;
  const products = [...pr].slice(0, MAX_PRODUCT_TOTALS).map(([productId, t]) => ({ productId, ...tidy(t) }));
  return { warehouses: [...wh].sort((a, b) => a[0] - b[0]).map(([warehouseId, t]) => ({ warehouseId, ...tidy(t) })), products, productsComplete, all: tidy(all) };
}
