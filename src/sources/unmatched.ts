import { writeTx, type Ctx } from '../context.js';
import { notFound } from '../errors.js';
import type { Db } from '../storage/database.js';
import { bookBalances, type BookResult } from './booking.js';
import { putMapping, removeMapping, type MappingKind } from './mapping.js';
import { findSource } from './sources.js';
import type { BalanceRow } from './vendors.js';

export interface UnmatchedView {
  id: number;
  requestId: string | null;
  product: string;
  warehouse: string | null;
  reason: string;
  amount: number;
  row: unknown;
  createdAt: string;
}

/** Rows kept because they mapped to nothing, oldest first; booked ones leave the list. */
export async function listUnmatched(db: Db, sourceId: number, page: { after?: number; limit: number }): Promise<UnmatchedView[]> {
  let q = db.selectFrom('source_unmatched').selectAll().where('source_id', '=', sourceId).where('booked_ms', 'is', null);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  const rows = await q.orderBy('id').limit(page.limit).execute();
  return rows.map((r) => {
    const row = JSON.parse(r.row) as BalanceRow;
    return {
      id: r.id,
      requestId: r.request_id,
      product: r.product_ref,
      warehouse: r.warehouse_ref === '' ? null : r.warehouse_ref,
      reason: r.reason,
      amount: row.amount,
      row: row.raw,
      createdAt: new Date(Number(r.created_ms)).toISOString(),
    };
  });
}

/** How many kept rows one mapping change retries in its write; the rest wait for the next change. */
const REBOOK_BATCH = 1_000;

/**
 * Adds (or replaces) an explicit mapping, and in the same write books the kept rows it now
 * places, in the order they arrived (a newer balance still wins over an older kept one).
 */
export async function addMapping(
  ctx: Ctx,
  accountId: string,
  sourceId: number,
  m: { kind: MappingKind; externalId: string; targetId: number },
): Promise<BookResult> {
  const { result } = await writeTx(ctx, accountId, async (scope) => {
    const source = await findSource(scope.tx, accountId, sourceId);
    await putMapping(scope.tx, source, m.kind, m.externalId, m.targetId, scope.now);
    const column = m.kind === 'product' ? 'product_ref' : 'warehouse_ref';
    const kept = await scope.tx
      .selectFrom('source_unmatched')
      .select(['id', 'row'])
      .where('source_id', '=', sourceId)
      .where('booked_ms', 'is', null)
      .where(column, '=', m.externalId)
      .orderBy('id')
      .limit(REBOOK_BATCH)
      .execute();
    const items = kept.map((k) => ({ row: JSON.parse(k.row) as BalanceRow, unmatchedId: k.id }));
    return bookBalances(scope, source, items, `source:${sourceId}:mapping`, null);
  });
  return result;
}

/**
 * Tries every kept row again (oldest first, up to a batch): after products or warehouses were
 * created or given the SKU, code or warehouse code the source's rule looks for.
 */
export async function retryUnmatched(ctx: Ctx, accountId: string, sourceId: number): Promise<BookResult> {
  const { result } = await writeTx(ctx, accountId, async (scope) => {
    const source = await findSource(scope.tx, accountId, sourceId);
    const kept = await scope.tx.selectFrom('source_unmatched').select(['id', 'row']).where('source_id', '=', sourceId).where('booked_ms', 'is', null).orderBy('id').limit(REBOOK_BATCH).execute();
    const items = kept.map((k) => ({ row: JSON.parse(k.row) as BalanceRow, unmatchedId: k.id }));
    return bookBalances(scope, source, items, `source:${sourceId}:retry`, null);
  });
  return result;
}

export async function deleteMapping(ctx: Ctx, accountId: string, sourceId: number, kind: MappingKind, externalId: string): Promise<void> {
  await writeTx(ctx, accountId, async ({ tx }) => {
    await findSource(tx, accountId, sourceId);
    if (!(await removeMapping(tx, sourceId, kind, externalId))) throw notFound(`${kind} mapping`, externalId);
  });
}
