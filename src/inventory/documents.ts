import type { Selectable } from 'kysely';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Tx } from '../storage/database.js';
import { insertLines, ledgerRows, type DocumentHead, type LineValues } from '../storage/ledger-rows.js';
import { prepared } from '../storage/prepared.js';
import type { DocumentLineTable, DocumentTable } from '../storage/schema.js';
import {
  applyToKey,
  applyToLevel,
  levelKey,
  lockKey,
  recordMovements,
  type AppliedChange,
  type Change,
} from './ledger.js';
import { isAmount, MAX_DECIMALS, MAX_QUANTITY } from './numbers.js';
import { findProduct } from './products.js';
import { stockChanged } from './stock-events.js';
import { compareKeys, keyParts, type StockKey } from './stock-key.js';
import { findWarehouse } from './warehouses.js';
import { getDocument, loadLines, parseAuthor, toView, type DocumentRead, type DocumentType, type DocumentView } from './document-views.js';

export { DOCUMENT_TYPES, getDocument, type DocumentRead, type DocumentType, type DocumentView } from './document-views.js';

export interface DocumentLineInput {
  productId: number;
  size?: string | null;
  lot?: string | null;
  expiry?: string | null;
  serial?: string | null;
  location?: string | null;
  quantity: number;
}

export interface DocumentInput {
  type: DocumentType;
  warehouseId: number;
  toWarehouseId?: number | null;
  reference?: string | null;
  lines: DocumentLineInput[];
}



/** The ledger effect of one line of each document type, per warehouse it touches. */
function lineChanges(type: DocumentType, q: number): Array<{ to: boolean; change: Change }> {
  switch (type) {
    case 'receipt':
    case 'return':
      return [{ to: false, change: { amountDelta: q, reservedDelta: 0 } }];
    case 'sale':
    case 'writeoff':
      return [{ to: false, change: { amountDelta: -q, reservedDelta: 0 } }];
    case 'transfer':
      return [
        { to: false, change: { amountDelta: -q, reservedDelta: 0 } },
        { to: true, change: { amountDelta: q, reservedDelta: 0 } },
      ];
    case 'reserve':
      return [{ to: false, change: { amountDelta: 0, reservedDelta: q } }];
    case 'release':
      return [{ to: false, change: { amountDelta: 0, reservedDelta: -q } }];
    case 'count':
      return []; // computed from the locked current amount, see postDocumentIn
  }
}

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

async function validate(tx: Tx, accountId: string, input: DocumentInput): Promise<void> {
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

/** Posts a document inside the caller's transaction (the supplier API adds its idempotency row). */
export async function postDocumentIn(
  scope: WriteScope,
  accountId: string,
  input: DocumentInput,
  source: string | null = null,
  author: string | null = null,
): Promise<DocumentView> {
  const { tx, now, emit } = scope;
  await validate(tx, accountId, input);
  const head: DocumentHead = {
    accountId,
    type: input.type,
    warehouseId: input.warehouseId,
    toWarehouseId: input.toWarehouseId ?? null,
    reference: input.reference ?? null,
    source,
    author,
    now,
  };
  const planned: Array<{ key: StockKey; change?: Change; countTo?: number }> = [];
  for (const line of input.lines) {
    const parts = keyParts(line);
    if (input.type === 'count') {
      planned.push({ key: { ...parts, productId: line.productId, warehouseId: input.warehouseId }, countTo: line.quantity });
      continue;
    }
    for (const { to, change } of lineChanges(input.type, line.quantity)) {
      const warehouseId = to ? (input.toWarehouseId as number) : input.warehouseId;
      planned.push({ key: { ...parts, productId: line.productId, warehouseId }, change });
    }
  }
  planned.sort((a, b) => compareKeys(a.key, b.key));

  const { doc, lines } = await ledgerRows(tx).insertDocument(tx, head, lineValues(input.lines));
  const applied: AppliedChange[] = [];
  for (const p of planned) {
    let change = p.change;
    if (p.countTo !== undefined) {
      const current = await lockKey(tx, accountId, p.key, now);
      const delta = p.countTo - Number(current.amount);
      if (delta === 0) continue; // the count confirms the ledger: nothing moved
      change = { amountDelta: delta, reservedDelta: 0 };
    }
    applied.push(await applyToKey(tx, accountId, p.key, change as Change, now, doc.id));
  }
  await recordMovements(tx, accountId, doc.id, applied, now);
  return finishPost(doc, lines, applied, input, emit);
}

/** The posted document's view, and its events: the document, then each key it changed. */
function finishPost(
  doc: Selectable<DocumentTable>,
  lines: Selectable<DocumentLineTable>[],
  applied: AppliedChange[],
  input: DocumentInput,
  emit: WriteScope['emit'],
): DocumentView {
  const view = toView(doc, lines);
  emit({ type: 'document.posted', object: 'document', objectId: doc.id, action: 'added', data: { document: view } });
  const cause = { documentId: doc.id, documentType: input.type, reference: input.reference ?? null };
  for (const c of applied) emit(stockChanged(c, cause));
  return view;
}

export async function postDocument(ctx: Ctx, accountId: string, input: DocumentInput, author: string | null = null): Promise<DocumentRead> {
  const view = (await writeTx(ctx, accountId, (scope) => postDocumentIn(scope, accountId, input, null, author))).result;
  return { ...view, author: parseAuthor(author), source: null };
}

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
  const reversalLines = await insertLines(tx, accountId, reversal.id, lineValues(lines.map(lineInput)));

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


/** A document's lines as the store inserts them: absent key parts are ''. */
const lineValues = (lines: DocumentLineInput[]): LineValues[] => lines.map((l) => ({ productId: l.productId, ...keyParts(l), quantity: l.quantity }));

const lineInput = (l: Selectable<DocumentLineTable>): DocumentLineInput => ({
  productId: l.product_id,
  size: l.size,
  lot: l.lot,
  expiry: l.expiry,
  serial: l.serial,
  location: l.location,
  quantity: Number(l.quantity),
});

