import { AppError } from '../../errors.js';
import type { DomainReads } from '../../webhooks/formats/format.js';
import type { Db, Tx } from '../../storage/database.js';
import { findProduct } from '../products.js';
import { round } from '../../quantity.js';
import { compareKeys, type StockKey } from '../stock-key.js';

// The wire types live in the dependency-free receiver module, so receivers and this renderer share them.
import type { MetakockaStockRow, MetakockaStockUpdate as MetakockaStockBody } from '../../receiver/types.js';

export type { MetakockaStockBody, MetakockaStockRow };

/**
 * A quantity as MetaKocka writes it: plain decimal, no trailing zeros, never exponent notation
 * (String(1e-7) would give "1e-7", which receivers parsing decimals reject).
 */
export function mkNumber(n: number): string {
  const r = round(n);
  if (r === 0) return '0'; // also turns -0 into "0"
  if (Number.isInteger(r)) return String(r);
  return r.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
}

interface LevelRow extends StockKey {
  amount: number;
  reserved: number;
}

/**
 * The product's whole stock list as the `metakocka` format sends it and
 * `GET /api/v1/stock/metakocka` answers: one row per active warehouse (zero rows included),
 * split per lot / expiry / serial / micro-location / size where the warehouse holds several.
 * Takes a transaction too, so the webhook renders from the same snapshot it writes in.
 *
 * @example
 * const body = await metakockaStockBody(db, accountId, 42);
 * // { opr_code: "0", opr_time_ms: "0", stock_list_count: "2", stock_list: [{ warehouse_id: "1", ... }, ...] }
 * @throws AppError NOT_FOUND when the product is unknown, another account's, or deleted.
 */
export async function metakockaStockBody(db: Db | Tx, accountId: string, productId: number): Promise<MetakockaStockBody> {
  const product = await findProduct(db, accountId, productId);
  // One LEFT JOIN: warehouses without any level of the product still produce a (null) row.
  const rows = await db
    .selectFrom('warehouses as w')
    .leftJoin('stock_levels as s', (j) =>
      j.onRef('s.warehouse_id', '=', 'w.id').on('s.account_id', '=', accountId).on('s.product_id', '=', productId),
    )
    .select(['w.id as warehouseId', 's.size', 's.lot', 's.expiry', 's.serial', 's.location', 's.amount', 's.reserved'])
    .where('w.account_id', '=', accountId)
    .where('w.active', '=', 1)
    .where('w.deleted', '=', 0)
    .orderBy('w.id')
    .execute();

  const byWarehouse = new Map<number, LevelRow[]>();
  for (const r of rows) {
    const list = byWarehouse.get(r.warehouseId) ?? [];
    byWarehouse.set(r.warehouseId, list);
    if (r.amount === null) continue;
    const level: LevelRow = {
      warehouseId: r.warehouseId,
      productId,
      size: r.size ?? '',
      lot: r.lot ?? '',
      expiry: r.expiry ?? '',
      serial: r.serial ?? '',
      location: r.location ?? '',
      amount: Number(r.amount),
      reserved: Number(r.reserved ?? 0),
    };
    if (round(level.amount) !== 0 || round(level.reserved) !== 0) list.push(level);
  }

  const base = { mk_id: String(product.id), count_code: product.sku, code: product.code, title: product.title };
  const stockList: MetakockaStockRow[] = [];
  for (const [warehouseId, levels] of byWarehouse) {
    if (levels.length === 0) {
      stockList.push(row(warehouseId, base, product.unit, 0, 0));
      continue;
    }
    // Sorted here, not in SQL: PostgreSQL's collation and SQLite's byte order disagree on text.
    levels.sort(compareKeys);
    for (const l of levels) {
      stockList.push({
        ...row(warehouseId, base, product.unit, l.amount, l.reserved),
        ...(l.lot && { lot_number: l.lot }),
        ...(l.expiry && { expiration_date: l.expiry }),
        ...(l.serial && { serial_number: l.serial }),
        ...(l.location && { micro_location: l.location }),
        ...(l.size && { size: l.size }),
      });
    }
  }
  return { opr_code: '0', opr_time_ms: '0', stock_list_count: String(stockList.length), stock_list: stockList };
}

function row(
  warehouseId: number,
  base: Pick<MetakockaStockRow, 'mk_id' | 'count_code' | 'code' | 'title'>,
  unit: string,
  amount: number,
  reserved: number,
): MetakockaStockRow {
  return {
    warehouse_id: String(warehouseId),
    ...base,
    amount: mkNumber(amount),
    reserved_amount: mkNumber(reserved),
    free_amount: mkNumber(amount - reserved),
    unit,
  };
}

/** The exact bytes the webhook sends and the GET route answers, so push and pull match. */
export function renderMetakockaStock(body: MetakockaStockBody): string {
  return JSON.stringify(body);
}

/**
 * What the formats may read from the inventory (src/webhooks/formats/format.ts DomainReads),
 * handed to the fan-out by compose.ts.
 */
export const inventoryReads: DomainReads = {
  async metakockaStockList(tx, accountId, productId) {
    try {
      return renderMetakockaStock(await metakockaStockBody(tx, accountId, productId));
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  },
};
