import type { WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Tx } from '../storage/database.js';
import { postDocumentIn, type DocumentType } from './documents.js';
import { toProduct, updateProductIn, type Product } from './products.js';
import { round } from './stock-events.js';
import { findWarehouse } from './warehouses.js';

export const SUPPLIER_ACTIONS = ['receipts', 'sold', 'cancel', 'return', 'price'] as const;
export type SupplierAction = (typeof SUPPLIER_ACTIONS)[number];

/** The seed 002 supplier payload, plus an optional warehouse. */
export interface SupplierStockInput {
  supplierProductId: string;
  action: SupplierAction;
  newPrice?: number;
  sizes?: Array<{ value: string; count: number; soldCount?: number; sizeId?: number }>;
  warehouseId?: number;
}

export interface SupplierLevel {
  size: string | null;
  amount: number;
  reserved: number;
  free: number;
}

export interface SupplierStockResult {
  action: SupplierAction;
  supplierProductId: string;
  productId: number;
  documentId: number | null;
  warehouseId: number | null;
  price: number;
  levels: SupplierLevel[];
}

/**
 * `cancel` is the marketplace cancelling an order before it shipped: the units were counted as
 * sold and now come back to stock, which is a `return` in the ledger. We cannot cancel the original
 * sale document because the supplier never tells us which one it was (and a cancel may be partial);
 * the reference keeps it distinguishable from a customer's return.
 */
const DOCUMENT_FOR: Record<Exclude<SupplierAction, 'price'>, DocumentType> = {
  receipts: 'receipt',
  sold: 'sale',
  cancel: 'return',
  return: 'return',
};

/**
 * Applies one supplier message inside the caller's transaction (so an idempotency row can commit
 * with it): a stock action posts exactly one document, `price` changes the product's price.
 * `newPrice` is read only by `price`; `soldCount` is informational and not booked.
 */
export async function applySupplierStockIn(
  scope: WriteScope,
  accountId: string,
  input: SupplierStockInput,
): Promise<SupplierStockResult> {
  const { tx } = scope;
  let product = await findBySupplierId(tx, accountId, input.supplierProductId);
  let documentId: number | null = null;
  let warehouseId: number | null;

  if (input.action === 'price') {
    if (input.newPrice === undefined) {
      throw new AppError('VALIDATION_FAILED', 'newPrice is required for action "price"', { field: 'newPrice' });
    }
    // A marketplace price is never 0, so 0 is refused rather than silently zeroing the price.
    if (!(input.newPrice > 0)) throw new AppError('VALIDATION_FAILED', 'newPrice must be > 0', { field: 'newPrice' });
    warehouseId =
      input.warehouseId !== undefined ? (await findWarehouse(tx, accountId, input.warehouseId)).id : await defaultWarehouse(tx, accountId, false);
    product = await updateProductIn(scope, accountId, product.id, { price: input.newPrice });
  } else {
    const sizes = input.sizes ?? [];
    if (sizes.length === 0) {
      throw new AppError('VALIDATION_FAILED', `sizes is required and must not be empty for action "${input.action}"`, { field: 'sizes' });
    }
    for (const [i, s] of sizes.entries()) {
      if (!(s.count > 0)) throw new AppError('VALIDATION_FAILED', `sizes[${i}].count must be > 0`, { field: `sizes[${i}].count` });
      const known = product.sizes.find((p) => p.value === s.value);
      if (!known) {
        throw new AppError('UNKNOWN_SIZE', `product ${product.id} has no size "${s.value}"`, {
          field: `sizes[${i}].value`,
          sizes: product.sizes.map((p) => p.value),
        });
      }
      // A product size recorded without sizeId has nothing to disagree with, so any sizeId passes.
      if (s.sizeId !== undefined && known.sizeId !== undefined && known.sizeId !== s.sizeId) {
        throw new AppError('UNKNOWN_SIZE', `size "${s.value}" of product ${product.id} has sizeId ${known.sizeId}, not ${s.sizeId}`, {
          field: `sizes[${i}].sizeId`,
        });
      }
    }
    warehouseId = input.warehouseId ?? (await defaultWarehouse(tx, accountId, true));
    const doc = await postDocumentIn(
      scope,
      accountId,
      {
        type: DOCUMENT_FOR[input.action],
        warehouseId: warehouseId as number,
        reference: `supplier:${input.action}`,
        lines: sizes.map((s) => ({ productId: product.id, size: s.value, quantity: s.count })),
      },
      'supplier',
    );
    documentId = doc.id;
  }

  return {
    action: input.action,
    supplierProductId: input.supplierProductId,
    productId: product.id,
    documentId,
    warehouseId,
    price: product.price,
    levels: warehouseId === null ? [] : await sizeLevels(tx, accountId, product, warehouseId),
  };
}

/** Several products may carry one supplier id (variants merged later); the oldest one wins. */
async function findBySupplierId(tx: Tx, accountId: string, supplierProductId: string): Promise<Product> {
  const row = await tx
    .selectFrom('products')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('supplier_product_id', '=', supplierProductId)
    .where('deleted', '=', 0)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (!row) throw notFound('product with supplierProductId', supplierProductId);
  return toProduct(row);
}

/** The account's default warehouse is its oldest active one; a price change does not need one. */
async function defaultWarehouse(tx: Tx, accountId: string, required: boolean): Promise<number | null> {
  const row = await tx
    .selectFrom('warehouses')
    .select('id')
    .where('account_id', '=', accountId)
    .where('active', '=', 1)
    .where('deleted', '=', 0)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (!row && required) {
    throw new AppError('INVALID_STATE', 'the account has no active warehouse: create one or send warehouseId', {
      field: 'warehouseId',
    });
  }
  return row?.id ?? null;
}

/**
 * Totals per size at one warehouse, summed over lots and locations, with every size the product
 * defines (zeros included) so the supplier sees its whole grid, in the product's size order.
 */
async function sizeLevels(tx: Tx, accountId: string, product: Product, warehouseId: number): Promise<SupplierLevel[]> {
  const rows = await tx
    .selectFrom('stock_levels')
    .select(['size', 'amount', 'reserved'])
    .where('account_id', '=', accountId)
    .where('product_id', '=', product.id)
    .where('warehouse_id', '=', warehouseId)
    .execute();
  const totals = new Map<string, { amount: number; reserved: number }>(product.sizes.map((s) => [s.value, { amount: 0, reserved: 0 }]));
  for (const r of rows) {
    const t = totals.get(r.size) ?? { amount: 0, reserved: 0 };
    t.amount += Number(r.amount);
    t.reserved += Number(r.reserved);
    totals.set(r.size, t);
  }
  return [...totals].map(([size, t]) => ({
    size: size || null,
    amount: round(t.amount),
    reserved: round(t.reserved),
    free: round(t.amount - t.reserved),
  }));
}
