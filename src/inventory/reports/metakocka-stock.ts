import { AppError } from '../../errors.js';
import type { DomainReads, TouchedKey } from '../../webhooks/formats/format.js';
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

const keyId = (k: TouchedKey): string => [k.warehouseId, k.size, k.lot, k.expiry, k.serial, k.location].join('\u0000');

/**
 * The product's whole stock list as the `metakocka` format sends it and
 * `GET /api/v1/stock/metakocka` answers: one row per active warehouse (zero rows included),
 * split per lot / expiry / serial / micro-location / size where the warehouse holds several.
 * Takes a transaction too, so the webhook renders from the same snapshot it writes in.
 *
 * A key at zero is listed while the change that zeroed it is the product's latest: a receiver
 * that updates its rows by lot must see the 0, or it keeps the old amount. Left out after that, or
 * the list would grow by every lot and serial number ever sold. `touched` names the keys the
 * change being sent moved (the webhook knows them from its events); without it (the GET service)
 * they are the keys the product's latest document moved, the same keys when that change was one
 * document.
 *
 * @example
 * const body = await metakockaStockBody(db, accountId, 42);
 * // { opr_code: "0", opr_time_ms: "0", stock_list_count: "2", stock_list: [{ warehouse_id: "1", ... }, ...] }
 * @throws AppError NOT_FOUND when the product is unknown, another account's, or deleted.
 */
export async function metakockaStockBody(
  db: Db | Tx,
  accountId: string,
  productId: number,
  touched?: readonly TouchedKey[],
): Promise<MetakockaStockBody> {
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
  const zeros: LevelRow[] = [];
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
    else zeros.push(level);
  }
  if (zeros.length > 0) {
    // Read only when there is a zero key to decide about: most lists have none.
    const kept = new Set((touched ?? (await latestDocumentKeys(db, accountId, productId))).map(keyId));
    for (const z of zeros) if (kept.has(keyId(z))) byWarehouse.get(z.warehouseId)?.push(z);
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

/**
 * The keys of the product that its latest document moved. A level's updated_ms is its last
 * movement's created_ms (both are the writing transaction's time), so the latest time narrows the
 * search to a few index lookups; of two documents in the same millisecond the later one counts.
 */
async function latestDocumentKeys(db: Db | Tx, accountId: string, productId: number): Promise<TouchedKey[]> {
  const last = await db
    .selectFrom('stock_levels')
    .select((eb) => eb.fn.max('updated_ms').as('t'))
    .where('account_id', '=', accountId)
    .where('product_id', '=', productId)
    .executeTakeFirst();
  if (last?.t === null || last?.t === undefined) return [];
  const t = Number(last?.t);
  const doc = await db
    .selectFrom('stock_levels as l')
    .innerJoin('movements as m', (j) => j.onRef('m.stock_level_id', '=', 'l.id').on('m.account_id', '=', accountId).on('m.created_ms', '=', t))
    .select((eb) => eb.fn.max('m.document_id').as('id'))
    .where('l.account_id', '=', accountId)
    .where('l.product_id', '=', productId)
    .where('l.updated_ms', '=', t)
    .executeTakeFirst();
  const docId = doc?.id;
  if (docId === null || docId === undefined) return [];
  return db
    .selectFrom('movements as m')
    .innerJoin('stock_levels as l', 'l.id', 'm.stock_level_id')
    .select(['l.warehouse_id as warehouseId', 'l.size', 'l.lot', 'l.expiry', 'l.serial', 'l.location'])
    .where('m.account_id', '=', accountId)
    .where('m.document_id', '=', Number(docId))
    .where('l.product_id', '=', productId)
    .execute();
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
  async metakockaStockList(tx, accountId, productId, touched) {
    try {
      return renderMetakockaStock(await metakockaStockBody(tx, accountId, productId, touched));
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return null;
      throw err;
    }
  },
};
