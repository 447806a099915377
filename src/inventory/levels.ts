import type { StockKeyView } from '../receiver/types.js';
import type { Tx } from '../storage/database.js';

/** One stock level as GET /api/v1/stock shows it (the key's shape is the receiver library's). */
export interface LevelView extends StockKeyView {
  amount: number;
  reserved: number;
  free: number;
  version: number;
  updatedAt: string;
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
