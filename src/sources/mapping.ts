import type { WriteScope } from '../context.js';
import { AppError } from '../errors.js';
import { toProduct } from '../inventory/products.js';
import type { Db, Tx } from '../storage/database.js';
import type { Source } from './sources.js';
import type { ProductRef } from './vendors.js';

export const MAPPING_KINDS = ['product', 'warehouse'] as const;
export type MappingKind = (typeof MAPPING_KINDS)[number];

export interface MappingView {
  kind: MappingKind;
  externalId: string;
  targetId: number;
  createdAt: string;
}

export interface MappedProduct {
  id: number;
  sizes: string[];
}

async function explicit(tx: Tx, sourceId: number, kind: MappingKind, externalId: string): Promise<number | null> {
  const row = await tx
    .selectFrom('source_mappings')
    .select('target_id')
    .where('source_id', '=', sourceId)
    .where('kind', '=', kind)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row?.target_id ?? null;
}

/**
 * The product a vendor's row names: the explicit map first, then the source's rule (the oldest
 * product whose SKU, or code, equals the vendor's; an empty one never matches). Never a guess.
 */
export async function resolveProduct(tx: Tx, source: Source, ref: ProductRef): Promise<MappedProduct | null> {
  const mapped = await explicit(tx, source.id, 'product', ref.id);
  let q = tx.selectFrom('products').select(['id', 'sizes']).where('account_id', '=', source.accountId).where('deleted', '=', 0);
  if (mapped !== null) q = q.where('id', '=', mapped);
  else if (source.mapping === 'sku') q = q.where('sku', '=', ref.sku || ref.id).where('sku', '!=', '');
  else if (source.mapping === 'code') q = q.where('code', '=', ref.code || ref.id).where('code', '!=', '');
  else return null;
  const row = await q.orderBy('id').limit(1).executeTakeFirst();
  return row ? { id: row.id, sizes: (JSON.parse(row.sizes) as Array<{ value: string }>).map((s) => s.value) } : null;
}

/**
 * The warehouse a vendor's row names: the source's default warehouse when the vendor names none,
 * else the explicit map, else (unless the rule is explicit) the active warehouse whose code is the
 * vendor's id.
 */
export async function resolveWarehouse(tx: Tx, source: Source, ref: string | null): Promise<number | null> {
  if (ref === null) return source.defaultWarehouseId;
  const mapped = await explicit(tx, source.id, 'warehouse', ref);
  let q = tx.selectFrom('warehouses').select('id').where('account_id', '=', source.accountId).where('deleted', '=', 0);
  if (mapped !== null) q = q.where('id', '=', mapped);
  else if (source.mapping !== 'explicit') q = q.where('code', '=', ref).where('code', '!=', '');
  else return null;
  const row = await q.orderBy('id').limit(1).executeTakeFirst();
  return row?.id ?? null;
}

/**
 * A product the source may create (allowCreate): named by the vendor's code, SKU and title, so
 * the rule finds it next time. It is created through the same event as the products API's.
 */
export async function createMappedProduct(scope: WriteScope, source: Source, ref: ProductRef): Promise<MappedProduct> {
  const { tx, now, emit } = scope;
  const row = await tx
    .insertInto('products')
    .values({
      account_id: source.accountId,
      code: ref.code || (source.mapping === 'code' ? ref.id : ''),
      sku: ref.sku || (source.mapping === 'sku' ? ref.id : ''),
      title: ref.title || `${source.format} ${ref.id}`,
      unit: 'pcs',
      price: 0,
      supplier_product_id: null,
      sizes: '[]',
      deleted: 0,
      created_ms: now,
      updated_ms: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (source.mapping === 'explicit') await putMapping(tx, source, 'product', ref.id, row.id, now);
  emit({
    type: 'product.created',
    object: 'product',
    objectId: row.id,
    action: 'added',
    data: { product: toProduct(row) },
  });
  return { id: row.id, sizes: [] };
}

export async function putMapping(tx: Tx, source: Source, kind: MappingKind, externalId: string, targetId: number, now: number): Promise<void> {
  const table = kind === 'product' ? 'products' : 'warehouses';
  const target = await tx.selectFrom(table).select('id').where('account_id', '=', source.accountId).where('id', '=', targetId).where('deleted', '=', 0).executeTakeFirst();
  if (!target) throw new AppError('VALIDATION_FAILED', `${kind} ${targetId} not found`, { field: 'targetId' });
  await tx
    .insertInto('source_mappings')
    .values({ source_id: source.id, kind, external_id: externalId, account_id: source.accountId, target_id: targetId, created_ms: now })
    .onConflict((oc) => oc.columns(['source_id', 'kind', 'external_id']).doUpdateSet({ target_id: targetId, created_ms: now }))
    .execute();
}

export async function removeMapping(tx: Tx, sourceId: number, kind: MappingKind, externalId: string): Promise<boolean> {
  const r = await tx.deleteFrom('source_mappings').where('source_id', '=', sourceId).where('kind', '=', kind).where('external_id', '=', externalId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listMappings(db: Db, sourceId: number): Promise<MappingView[]> {
  const rows = await db.selectFrom('source_mappings').selectAll().where('source_id', '=', sourceId).orderBy('kind').orderBy('external_id').execute();
  return rows.map((r) => ({ kind: r.kind as MappingKind, externalId: r.external_id, targetId: r.target_id, createdAt: new Date(Number(r.created_ms)).toISOString() }));
}
