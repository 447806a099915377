import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Tx } from '../storage/database.js';
import { postDocumentIn } from './documents.js';
import { toProduct, updateProductIn, type Product } from './products.js';
import { round } from '../quantity.js';
import { findWarehouse } from './warehouses.js';

export const SUPPLIER_ACTIONS = ['receipts', 'sold', 'cancel', 'return', 'price'] as const;
export type SupplierAction = (typeof SUPPLIER_ACTIONS)[number];

/** The the marketplace (docs/formats/marketplace.md) supplier payload, plus an optional warehouse. */
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
 * Applies one supplier message inside the caller's transaction. The marketplace's supplier API reports balances (docs/formats/marketplace.md): each
 * `sizes[].count` is the supplier's remaining stock of that size after `action`, so every message
 * with sizes posts one `count` document that sets each size's total at the warehouse; the ledger
 * books the difference, so levels stay the sum of movements, and the reference
 * `supplier:<action>` keeps the reason. `newPrice` is applied whenever present. A product without
 * sizes is addressed by the size value "".
 */
export async function applySupplierStockIn(
  scope: WriteScope,
  accountId: string,
  input: SupplierStockInput,
): Promise<SupplierStockResult> {
  const { tx } = scope;
  let product = await findBySupplierId(tx, accountId, input.supplierProductId);
  let documentId: number | null = null;
  const sizes = input.sizes ?? [];

  if (input.action === 'price' && input.newPrice === undefined) {
    throw new AppError('VALIDATION_FAILED', 'newPrice is required for action "price"', { field: 'newPrice' });
  }
  // A marketplace price is never 0, so 0 is refused rather than silently zeroing the price.
  if (input.newPrice !== undefined && !(input.newPrice > 0)) {
    throw new AppError('VALIDATION_FAILED', 'newPrice must be > 0', { field: 'newPrice' });
  }
  if (input.action !== 'price' && sizes.length === 0) {
    throw new AppError('VALIDATION_FAILED', `sizes is required and must not be empty for action "${input.action}"`, { field: 'sizes' });
  }
  const seen = new Set<string>();
  for (const [i, s] of sizes.entries()) {
    if (!(s.count >= 0)) throw new AppError('VALIDATION_FAILED', `sizes[${i}].count must be >= 0`, { field: `sizes[${i}].count` });
    if (seen.has(s.value)) throw new AppError('VALIDATION_FAILED', `sizes[${i}] repeats size "${s.value}"`, { field: `sizes[${i}].value` });
    seen.add(s.value);
    const known = product.sizes.length === 0 ? s.value === '' : product.sizes.find((p) => p.value === s.value);
    if (!known) {
      throw new AppError('UNKNOWN_SIZE', `product ${product.id} has no size "${s.value}"`, {
        field: `sizes[${i}].value`,
        sizes: product.sizes.length === 0 ? [''] : product.sizes.map((p) => p.value),
      });
    }
    // A product size recorded without sizeId has nothing to disagree with, so any sizeId passes.
    if (known !== true && s.sizeId !== undefined && known.sizeId !== undefined && known.sizeId !== s.sizeId) {
      throw new AppError('UNKNOWN_SIZE', `size "${s.value}" of product ${product.id} has sizeId ${known.sizeId}, not ${s.sizeId}`, {
        field: `sizes[${i}].sizeId`,
      });
    }
  }

  const warehouseId =
    input.warehouseId !== undefined
      ? sizes.length > 0
        ? input.warehouseId
        : (await findWarehouse(tx, accountId, input.warehouseId)).id
      : await defaultWarehouse(tx, accountId, sizes.length > 0);
  if (sizes.length > 0) {
    const held = await heldOutsidePlainKey(tx, accountId, product.id, warehouseId as number);
    const lines = sizes.map((s, i) => {
      // The supplier knows one number per size; lots and locations booked here by others stay, and
      // the plain key takes the rest so the size's total becomes `count`.
      const quantity = round(s.count - (held.get(s.value) ?? 0));
      if (quantity < 0) {
        throw new AppError('INSUFFICIENT_STOCK', `size "${s.value}" holds ${held.get(s.value)} in lots or locations, more than count ${s.count}`, {
          field: `sizes[${i}].count`,
        });
      }
      return { productId: product.id, size: s.value, quantity };
    });
    const doc = await postDocumentIn(
      scope,
      accountId,
      { type: 'count', warehouseId: warehouseId as number, reference: `supplier:${input.action}`, lines },
      'supplier',
    );
    documentId = doc.id;
  }
  if (input.newPrice !== undefined && input.newPrice !== product.price) {
    product = await updateProductIn(scope, accountId, product.id, { price: input.newPrice });
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

/** Per size, the amount at the warehouse in keys with a lot, expiry, serial or location. */
async function heldOutsidePlainKey(tx: Tx, accountId: string, productId: number, warehouseId: number): Promise<Map<string, number>> {
  const rows = await tx
    .selectFrom('stock_levels')
    .select(['size', 'amount'])
    .where('account_id', '=', accountId)
    .where('product_id', '=', productId)
    .where('warehouse_id', '=', warehouseId)
    .where((eb) => eb.or([eb('lot', '!=', ''), eb('expiry', '!=', ''), eb('serial', '!=', ''), eb('location', '!=', '')]))
    .execute();
  const held = new Map<string, number>();
  for (const r of rows) held.set(r.size, (held.get(r.size) ?? 0) + Number(r.amount));
  return held;
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

/** Applies one supplier message in its own write. */
export async function applySupplierStock(ctx: Ctx, accountId: string, input: SupplierStockInput): Promise<SupplierStockResult> {
  return (await writeTx(ctx, accountId, (scope) => applySupplierStockIn(scope, accountId, input))).result;
}
