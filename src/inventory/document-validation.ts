import { AppError, notFound } from '../errors.js';
import type { Tx } from '../storage/database.js';
import { prepared } from '../storage/prepared.js';
import type { DocumentInput } from './document-input.js';
import { isAmount, MAX_DECIMALS, MAX_QUANTITY } from './numbers.js';
import { findProduct } from './products.js';
import { keyParts } from './stock-key.js';
import { findWarehouse } from './warehouses.js';

/**
 * The warehouse and the first line's product in one statement (a round trip fewer per document on
 * PostgreSQL). The product is only used when validation reaches that line, so errors keep their order.
 */
const warehouseWithProduct = prepared<{ accountId: string; warehouseId: number; productId: number }>()((db, v) =>
  db
    .selectFrom('warehouses as w')
    .leftJoin('products as p', (j) => j.on('p.account_id', '=', v.accountId).on('p.id', '=', v.productId).on('p.deleted', '=', 0))
    .select(['w.id', 'w.active', 'p.id as product_id', 'p.sizes as product_sizes'])
    .where('w.account_id', '=', v.accountId)
    .where('w.id', '=', v.warehouseId)
    .where('w.deleted', '=', 0),
);

/** Refuses a document the ledger must not take, with the field at fault; errors come in the order of the input. */
export async function validateDocument(tx: Tx, accountId: string, input: DocumentInput): Promise<void> {
  const firstProduct = input.lines[0]?.productId;
  const [wh] =
    Number.isSafeInteger(firstProduct)
      ? (await warehouseWithProduct(tx, { accountId, warehouseId: input.warehouseId, productId: firstProduct })).rows
      : [await findWarehouse(tx, accountId, input.warehouseId)].map((w) => ({ id: w.id, active: w.active, product_id: null, product_sizes: null }));
  if (!wh) throw notFound('warehouse', input.warehouseId);
  if (wh.active !== 1) throw new AppError('INACTIVE_WAREHOUSE', `warehouse ${wh.id} is not active`, { field: 'warehouseId' });
  if (input.type === 'transfer') {
    if (input.toWarehouseId == null) {
      throw new AppError('VALIDATION_FAILED', 'a transfer needs toWarehouseId', { field: 'toWarehouseId' });
    }
    if (input.toWarehouseId === input.warehouseId) {
      throw new AppError('VALIDATION_FAILED', 'a transfer needs two different warehouses', { field: 'toWarehouseId' });
    }
    const to = await findWarehouse(tx, accountId, input.toWarehouseId);
    if (to.active !== 1) throw new AppError('INACTIVE_WAREHOUSE', `warehouse ${to.id} is not active`, { field: 'toWarehouseId' });
  } else if (input.toWarehouseId != null) {
    throw new AppError('VALIDATION_FAILED', `toWarehouseId is only for transfers`, { field: 'toWarehouseId' });
  }
  const products = new Map<number, string[]>();
  if (wh.product_id !== null && wh.product_sizes !== null) products.set(wh.product_id, sizesOf(wh.product_sizes));
  const countKeys = new Set<string>();
  for (const [i, line] of input.lines.entries()) {
    // The HTTP schema refuses these first; the ledger checks again because a level it cannot read
    // back (Infinity shows as null) could never be repaired by a count or a cancel.
    if (!isAmount(line.quantity, MAX_QUANTITY)) {
      throw new AppError('VALIDATION_FAILED', `lines[${i}].quantity must be a number from 0 to ${MAX_QUANTITY} with at most ${MAX_DECIMALS} decimals`, {
        field: `lines[${i}].quantity`,
      });
    }
    if (input.type === 'count' ? !(line.quantity >= 0) : !(line.quantity > 0)) {
      throw new AppError('VALIDATION_FAILED', `lines[${i}].quantity must be ${input.type === 'count' ? '>= 0' : '> 0'}`, {
        field: `lines[${i}].quantity`,
      });
    }
    let sizes = products.get(line.productId);
    if (!sizes) {
      const p = await findProduct(tx, accountId, line.productId);
      sizes = sizesOf(p.sizes);
      products.set(line.productId, sizes);
    }
    const size = line.size ?? '';
    if (sizes.length > 0 ? !sizes.includes(size) : size !== '') {
      throw new AppError('UNKNOWN_SIZE', `product ${line.productId} has no size "${size}"`, {
        field: `lines[${i}].size`,
        sizes,
      });
    }
    if (input.type === 'count') {
      const k = JSON.stringify([line.productId, keyParts(line)]);
      if (countKeys.has(k)) throw new AppError('VALIDATION_FAILED', `lines[${i}] counts a stock key twice`, { field: `lines[${i}]` });
      countKeys.add(k);
    }
  }
}

const sizesOf = (json: string): string[] => (JSON.parse(json) as Array<{ value: string }>).map((s) => s.value);
