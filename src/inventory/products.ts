import type { Selectable } from 'kysely';
import { holdsStock } from './levels.js';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import { prepared } from '../storage/prepared.js';
import type { ProductTable } from '../storage/schema.js';
import { isAmount, MAX_DECIMALS, MAX_PRICE } from './numbers.js';

export interface ProductSize {
  value: string;
  sizeId?: number;
}

export interface Product {
  id: number;
  code: string;
  sku: string;
  title: string;
  unit: string;
  price: number;
  supplierProductId: string | null;
  sizes: ProductSize[];
  createdAt: string;
  updatedAt: string;
}

export interface ProductInput {
  code?: string;
  sku?: string;
  title?: string;
  unit?: string;
  price?: number;
  supplierProductId?: string | null;
  sizes?: ProductSize[];
}

export const toProduct = (r: Selectable<ProductTable>): Product => ({
  id: r.id,
  code: r.code,
  sku: r.sku,
  title: r.title,
  unit: r.unit,
  price: Number(r.price),
  supplierProductId: r.supplier_product_id,
  sizes: JSON.parse(r.sizes) as ProductSize[],
  createdAt: new Date(Number(r.created_ms)).toISOString(),
  updatedAt: new Date(Number(r.updated_ms)).toISOString(),
});

function checkPrice(price: number | undefined): void {
  if (price !== undefined && !isAmount(price, MAX_PRICE)) {
    throw new AppError('VALIDATION_FAILED', `price must be a number from 0 to ${MAX_PRICE} with at most ${MAX_DECIMALS} decimals`, { field: 'price' });
  }
}

function checkSizes(sizes: ProductSize[] | undefined): void {
  if (!sizes) return;
  const seen = new Set<string>();
  for (const s of sizes) {
    if (seen.has(s.value)) throw new AppError('VALIDATION_FAILED', `size "${s.value}" is listed twice`, { field: 'sizes' });
    seen.add(s.value);
  }
}

// Every document line looks one up: compiled once (storage/prepared.ts).
const productsById = prepared<{ accountId: string; id: number }>()((db, v) =>
  db.selectFrom('products').selectAll().where('account_id', '=', v.accountId).where('id', '=', v.id).where('deleted', '=', 0),
);

export async function findProduct(db: Db | Tx, accountId: string, id: number): Promise<Selectable<ProductTable>> {
  const [row] = (await productsById(db, { accountId, id })).rows;
  if (!row) throw notFound('product', id);
  return row;
}

export async function listProducts(db: Db, accountId: string, filter: { supplierProductId?: string } = {}): Promise<Product[]> {
  let q = db.selectFrom('products').selectAll().where('account_id', '=', accountId).where('deleted', '=', 0);
  if (filter.supplierProductId !== undefined) q = q.where('supplier_product_id', '=', filter.supplierProductId);
  return (await q.orderBy('id').execute()).map(toProduct);
}

export async function getProduct(db: Db, accountId: string, id: number): Promise<Product> {
  return toProduct(await findProduct(db, accountId, id));
}

export async function createProduct(ctx: Ctx, accountId: string, input: ProductInput & { title: string }): Promise<Product> {
  checkPrice(input.price);
  checkSizes(input.sizes);
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const row = await tx
      .insertInto('products')
      .values({
        account_id: accountId,
        code: input.code ?? '',
        sku: input.sku ?? '',
        title: input.title,
        unit: input.unit ?? 'pcs',
        price: input.price ?? 0,
        supplier_product_id: input.supplierProductId ?? null,
        sizes: JSON.stringify(input.sizes ?? []),
        deleted: 0,
        created_ms: now,
        updated_ms: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const p = toProduct(row);
    emit({ type: 'product.created', object: 'product', objectId: p.id, action: 'added', data: { product: p } });
    return p;
  });
  return result;
}

/**
 * Stock is kept per size, or under '' when the product has none: a new size list must still hold
 * every size that has stock or reservations, or that stock could never be moved again. As with
 * deleting a product, this reads the levels and does not lock them against a concurrent receipt.
 */
async function refuseStrandedStock(tx: Tx, accountId: string, id: number, sizes: ProductSize[]): Promise<void> {
  const kept = sizes.map((s) => s.value);
  const held = tx
    .selectFrom('stock_levels')
    .select('size')
    .distinct()
    .where('account_id', '=', accountId)
    .where('product_id', '=', id)
    .where((eb) => eb.or([eb('amount', '!=', 0), eb('reserved', '!=', 0)]));
  const outside = kept.length > 0 ? held.where('size', 'not in', kept) : held.where('size', '!=', '');
  const rows = await outside.orderBy('size').execute();
  if (rows.length === 0) return;
  const stranded = rows.map((r) => r.size);
  const what = stranded[0] === '' ? `product ${id} holds stock without a size` : `size "${stranded.join('", "')}" of product ${id} still holds stock or reservations`;
  throw new AppError('PRODUCT_HAS_STOCK', `${what}: move or write it off before changing sizes`, {
    field: 'sizes',
    sizes: stranded.map((s) => s || null),
  });
}

/** Shared by PATCH and the supplier API's `price` action. Runs inside the caller's transaction. */
export async function updateProductIn(
  scope: WriteScope,
  accountId: string,
  id: number,
  input: ProductInput,
): Promise<Product> {
  checkPrice(input.price);
  checkSizes(input.sizes);
  const { tx, now, emit } = scope;
  const before = toProduct(await findProduct(tx, accountId, id));
  if (input.sizes !== undefined) await refuseStrandedStock(tx, accountId, id, input.sizes);
  const row = await tx
    .updateTable('products')
    .set({
      ...(input.code !== undefined && { code: input.code }),
      ...(input.sku !== undefined && { sku: input.sku }),
      ...(input.title !== undefined && { title: input.title }),
      ...(input.unit !== undefined && { unit: input.unit }),
      ...(input.price !== undefined && { price: input.price }),
      ...(input.supplierProductId !== undefined && { supplier_product_id: input.supplierProductId }),
      ...(input.sizes !== undefined && { sizes: JSON.stringify(input.sizes) }),
      updated_ms: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const p = toProduct(row);
  const changed = Object.keys(input).filter(
    (k) => JSON.stringify(before[k as keyof Product]) !== JSON.stringify(p[k as keyof Product]),
  );
  emit({ type: 'product.updated', object: 'product', objectId: p.id, action: 'changed', data: { product: p, changed } });
  return p;
}

export async function updateProduct(ctx: Ctx, accountId: string, id: number, input: ProductInput): Promise<Product> {
  const { result } = await writeTx(ctx, accountId, (scope) => updateProductIn(scope, accountId, id, input));
  return result;
}

export async function deleteProduct(ctx: Ctx, accountId: string, id: number): Promise<void> {
  await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const row = await findProduct(tx, accountId, id);
    if (await holdsStock(tx, accountId, { productId: id })) throw new AppError('PRODUCT_HAS_STOCK', `product ${id} is still in stock`);
    await tx.updateTable('products').set({ deleted: 1, updated_ms: now }).where('id', '=', id).execute();
    emit({ type: 'product.deleted', object: 'product', objectId: id, action: 'removed', data: { product: toProduct(row) } });
  });
}
