import type { StockKeyView } from '../receiver/types.js';
import type { Db, Tx } from '../storage/database.js';
import { levelKey } from './ledger.js';
import { round } from '../quantity.js';
import { keyView } from './stock-key.js';

/** One stock level as GET /api/v1/stock shows it (the key's shape is the receiver library's). */
export interface LevelView extends StockKeyView {
  amount: number;
  reserved: number;
  free: number;
  version: number;
  updatedAt: string;
}

export async function listLevels(
  db: Db,
  accountId: string,
  filter: { productId?: number; warehouseId?: number; nonZero?: boolean },
): Promise<LevelView[]> {
  let q = db.selectFrom('stock_levels').selectAll().where('account_id', '=', accountId);
  if (filter.productId !== undefined) q = q.where('product_id', '=', filter.productId);
  if (filter.warehouseId !== undefined) q = q.where('warehouse_id', '=', filter.warehouseId);
  if (filter.nonZero) q = q.where((eb) => eb.or([eb('amount', '!=', 0), eb('reserved', '!=', 0)]));
  const rows = await q
    .orderBy('product_id')
    .orderBy('warehouse_id')
    .orderBy('size')
    .orderBy('lot')
    .orderBy('expiry')
    .orderBy('serial')
    .orderBy('location')
    .execute();
  return rows.map((r) => {
    const amount = Number(r.amount);
    const reserved = Number(r.reserved);
    return {
      ...(keyView(levelKey(r)) as Omit<LevelView, 'amount' | 'reserved' | 'free' | 'version' | 'updatedAt'>),
      amount,
      reserved,
      free: round(amount - reserved),
      version: Number(r.version),
      updatedAt: new Date(Number(r.updated_ms)).toISOString(),
    };
  });
}

/**
 * Whether any stock key of a product or a warehouse still holds or reserves stock: such a product
 * or warehouse cannot be removed, its ledger would dangle.
 */
export async function holdsStock(tx: Tx, accountId: string, of: { productId: number } | { warehouseId: number }): Promise<boolean> {
  const held = await tx
    .selectFrom('stock_levels')
    .select('id')
    .where('account_id', '=', accountId)
    .where('productId' in of ? 'product_id' : 'warehouse_id', '=', 'productId' in of ? of.productId : of.warehouseId)
    .where((eb) => eb.or([eb('amount', '!=', 0), eb('reserved', '!=', 0)]))
    .executeTakeFirst();
  return held !== undefined;
}
