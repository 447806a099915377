import type { Selectable } from 'kysely';
import { round } from '../quantity.js';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { ledgerRows, type DocumentHead, type LineValues } from '../storage/ledger-rows.js';
import type { DocumentLineTable, DocumentTable } from '../storage/schema.js';
import type { DocumentInput, DocumentLineInput } from './document-input.js';
import { validateDocument } from './document-validation.js';
import { parseAuthor, toView, type DocumentRead, type DocumentType, type DocumentView } from './document-views.js';
import { applyToKey, lockKey, recordMovements, type AppliedChange, type Change } from './ledger.js';
import { askedOf, ShortageError } from './shortage.js';
import { stockChanged } from './stock-events.js';
import { compareKeys, keyParts, type StockKey } from './stock-key.js';

export { cancelDocument, cancelDocumentIn } from './document-cancel.js';
export type { DocumentInput, DocumentLineInput } from './document-input.js';
export { DOCUMENT_TYPES, getDocument, type DocumentRead, type DocumentType, type DocumentView } from './document-views.js';

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

/** Posts a document inside the caller's transaction (the supplier API adds its idempotency row). */
export async function postDocumentIn(
  scope: WriteScope,
  accountId: string,
  input: DocumentInput,
  source: string | null = null,
  author: string | null = null,
): Promise<DocumentView> {
  const { tx, now, emit } = scope;
  await validateDocument(tx, accountId, input);
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
  try {
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
  } catch (err) {
    // The refusal says what the whole document asked of the key: its lines there add up, and the
    // key is read again only after this transaction rolled back the ones that fit.
    if (err instanceof ShortageError && input.type !== 'count') err.asked = askedAt(planned, err);
    throw err;
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

function askedAt(planned: Array<{ key: StockKey; change?: Change }>, err: ShortageError): number {
  const reserved = err.measure === 'reserved';
  const here = planned.filter((p) => p.change && compareKeys(p.key, err.key) === 0);
  return round(here.reduce((sum, p) => sum + askedOf(p.change as Change, reserved), 0));
}

/** A document's lines as the store inserts them: absent key parts are ''. */
const lineValues = (lines: DocumentLineInput[]): LineValues[] => lines.map((l) => ({ productId: l.productId, ...keyParts(l), quantity: l.quantity }));
