import type { Selectable } from 'kysely';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { insertLines, type LineValues } from '../storage/ledger-rows.js';
import type { DocumentLineTable } from '../storage/schema.js';
import { getDocument, loadLines, toView, type DocumentRead, type DocumentView } from './document-views.js';
import { applyToLevel, levelKey, recordMovements, type AppliedChange } from './ledger.js';
import { stockChanged } from './stock-events.js';
import { compareKeys } from './stock-key.js';

/**
 * Cancelling posts the reversal: a new document of the same type whose movements are the
 * original's, negated, under the same invariants (a received lot that was already sold cannot be
 * un-received). The original keeps its movements and is marked cancelled.
 */
export async function cancelDocumentIn(scope: WriteScope, accountId: string, id: number, author: string | null = null): Promise<DocumentView> {
  const { tx, now, emit } = scope;
  // Documents an outbound order wrote for its claims and shipments are undone through the order
  // (deactivate the item), never here: the order's claimed/shipped counts would drift from the ledger.
  const original = await tx
    .updateTable('documents')
    .set({ status: 'cancelled' })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '=', 'posted')
    .where('reverses_id', 'is', null)
    .where((eb) => eb.or([eb('source', 'is', null), eb('source', 'not like', 'outbound_order:%')]))
    .returningAll()
    .executeTakeFirst();
  if (!original) {
    const row = await tx.selectFrom('documents').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('document', id);
    if (row.reverses_id !== null) throw new AppError('INVALID_STATE', `document ${id} is a reversal and cannot be cancelled`);
    if (row.source?.startsWith('outbound_order:')) {
      throw new AppError('INVALID_STATE', `document ${id} belongs to ${row.source.replace(':', ' ')}; change the order instead`);
    }
    throw new AppError('DOCUMENT_ALREADY_CANCELLED', `document ${id} is already cancelled`);
  }
  const reversal = await tx
    .insertInto('documents')
    .values({
      account_id: accountId,
      type: original.type,
      warehouse_id: original.warehouse_id,
      to_warehouse_id: original.to_warehouse_id,
      reference: original.reference,
      status: 'posted',
      reverses_id: original.id,
      reversed_by_id: null,
      source: original.source,
      author,
      created_ms: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const lines = await loadLines(tx, accountId, original.id);
  const reversalLines = await insertLines(tx, accountId, reversal.id, lines.map(storedLine));

  const moves = await tx
    .selectFrom('movements')
    .innerJoin('stock_levels', 'stock_levels.id', 'movements.stock_level_id')
    .selectAll('stock_levels')
    .select(['movements.amount_delta', 'movements.reserved_delta'])
    .where('movements.account_id', '=', accountId)
    .where('movements.document_id', '=', original.id)
    .execute();
  moves.sort((a, b) => compareKeys(levelKey(a), levelKey(b)));
  const applied: AppliedChange[] = [];
  for (const m of moves) {
    applied.push(
      await applyToLevel(tx, accountId, m.id, { amountDelta: -Number(m.amount_delta), reservedDelta: -Number(m.reserved_delta) }, now),
    );
  }
  await recordMovements(tx, accountId, reversal.id, applied, now);
  const cancelled = await tx
    .updateTable('documents')
    .set({ reversed_by_id: reversal.id })
    .where('id', '=', original.id)
    .returningAll()
    .executeTakeFirstOrThrow();

  const view = toView(cancelled, lines);
  const reversalView = toView(reversal, reversalLines);
  emit({
    type: 'document.cancelled',
    object: 'document',
    objectId: original.id,
    action: 'changed',
    data: { document: view, reversal: reversalView },
  });
  const cause = { documentId: reversal.id, documentType: original.type, reversal: true, reference: original.reference };
  for (const c of applied) emit(stockChanged(c, cause));
  return view;
}

export async function cancelDocument(ctx: Ctx, accountId: string, id: number, author: string | null = null): Promise<DocumentRead> {
  await writeTx(ctx, accountId, (scope) => cancelDocumentIn(scope, accountId, id, author));
  return getDocument(ctx.store.db, accountId, id);
}

/** A stored line as the reversal inserts it again. */
const storedLine = (l: Selectable<DocumentLineTable>): LineValues => ({
  productId: l.product_id,
  size: l.size,
  lot: l.lot,
  expiry: l.expiry,
  serial: l.serial,
  location: l.location,
  quantity: Number(l.quantity),
});
