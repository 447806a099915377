import type { Insertable, Selectable } from 'kysely';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import { writesInCtes } from '../storage/dialect.js';
import { prepared, preparedRows } from '../storage/prepared.js';
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
import { compareKeys, keyParts, type KeyParts, type StockKey } from './stock-key.js';
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

  const { doc, lines } = await insertDocumentAndLines(tx, head, input.lines);
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
  const reversalLines = await insertLines(tx, accountId, reversal.id, lines.map(lineInput));

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


// The statements of every post, compiled once (storage/prepared.ts).
interface DocumentHead {
  accountId: string;
  type: DocumentType;
  warehouseId: number;
  toWarehouseId: number | null;
  reference: string | null;
  source: string | null;
  author: string | null;
  now: number;
}

const insertDocument = prepared<DocumentHead>()((db, v) => documentInsert(db, v));

function documentInsert(db: Db, v: DocumentHead) {
  return db
    .insertInto('documents')
    .values({
      account_id: v.accountId,
      type: v.type,
      warehouse_id: v.warehouseId,
      to_warehouse_id: v.toWarehouseId,
      reference: v.reference,
      status: 'posted',
      reverses_id: null,
      reversed_by_id: null,
      source: v.source,
      author: v.author,
      created_ms: v.now,
    })
    .returningAll();
}

/**
 * PostgreSQL, a one-line document (the common case): the document and its line in one statement
 * (a data-modifying WITH), one round trip fewer. The line's columns come back prefixed `line_`.
 */
type OneLine = DocumentHead & KeyParts & { productId: number; quantity: number };
/** The document and its one line, as two data-modifying WITHs a statement goes on from. */
const docAndLine = (db: Db, v: OneLine) =>
  db
    .with('doc', () => documentInsert(db, v))
    .with('line', (qc) =>
      qc
        .insertInto('document_lines')
        .columns(['account_id', 'document_id', 'line_no', 'product_id', 'size', 'lot', 'expiry', 'serial', 'location', 'quantity'])
        .expression((eb) =>
          eb.selectFrom('doc').select((s) => [
            // Typed casts: PostgreSQL cannot infer a parameter's type inside a WITH's SELECT list.
            s.cast(s.val(v.accountId), 'text').as('account_id'),
            'doc.id',
            s.cast(s.val(1), 'integer').as('line_no'),
            s.cast(s.val(v.productId), 'integer').as('product_id'),
            s.cast(s.val(v.size), 'text').as('size'),
            s.cast(s.val(v.lot), 'text').as('lot'),
            s.cast(s.val(v.expiry), 'text').as('expiry'),
            s.cast(s.val(v.serial), 'text').as('serial'),
            s.cast(s.val(v.location), 'text').as('location'),
            s.cast(s.val(v.quantity), 'double precision').as('quantity'),
          ]),
        )
        .returningAll(),
    );
const LINE_COLUMNS = [
  'line.id as line_id',
  'line.account_id as line_account_id',
  'line.document_id as line_document_id',
  'line.line_no as line_line_no',
  'line.product_id as line_product_id',
  'line.size as line_size',
  'line.lot as line_lot',
  'line.expiry as line_expiry',
  'line.serial as line_serial',
  'line.location as line_location',
  'line.quantity as line_quantity',
] as const;
const documentWithLine = prepared<OneLine>()((db, v) => docAndLine(db, v).selectFrom(['doc', 'line']).selectAll('doc').select(LINE_COLUMNS));

/** The columns of a joined row named `<prefix>…`, without the prefix, and the rest of the row. */
type Unprefixed<R, P extends string> = { [K in keyof R as K extends `${P}${infer C}` ? C : never]: R[K] };
type WithoutPrefix<R, P extends string> = { [K in keyof R as K extends `${P}${string}` ? never : K]: R[K] };
function splitPrefixed<R extends object, P extends string>(row: R, prefix: P): { part: Unprefixed<R, P>; rest: WithoutPrefix<R, P> } {
  const part: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith(prefix)) part[k.slice(prefix.length)] = v;
    else rest[k] = v;
  }
  return { part: part as Unprefixed<R, P>, rest: rest as WithoutPrefix<R, P> };
}

/** Inserts a document and its lines: one statement on PostgreSQL for one line, otherwise two. */
async function insertDocumentAndLines(
  tx: Tx,
  head: DocumentHead,
  lines: DocumentLineInput[],
): Promise<{ doc: Selectable<DocumentTable>; lines: Selectable<DocumentLineTable>[] }> {
  if (lines.length === 1 && writesInCtes(tx)) {
    const l = lines[0];
    const [row] = (await documentWithLine(tx, { ...head, ...keyParts(l), productId: l.productId, quantity: l.quantity })).rows;
    const { part: line, rest: doc } = splitPrefixed(row, 'line_');
    return { doc, lines: [line] };
  }
  const [doc] = (await insertDocument(tx, head)).rows;
  return { doc, lines: await insertLines(tx, head.accountId, doc.id, lines) };
}

type LineRow = Insertable<DocumentLineTable> & KeyParts;
const insertLineRows = preparedRows<LineRow>()((db, rows) =>
  db
    .insertInto('document_lines')
    .values(
      rows.map((r) => ({
        account_id: r.account_id,
        document_id: r.document_id,
        line_no: r.line_no,
        product_id: r.product_id,
        size: r.size,
        lot: r.lot,
        expiry: r.expiry,
        serial: r.serial,
        location: r.location,
        quantity: r.quantity,
      })),
    )
    .returningAll(),
);

/** Inserts the lines and returns them as stored (RETURNING saves reading them back). */
async function insertLines(tx: Tx, accountId: string, documentId: number, lines: DocumentLineInput[]): Promise<Selectable<DocumentLineTable>[]> {
  const { rows } = await insertLineRows(
    tx,
    lines.map((l, i) => ({ account_id: accountId, document_id: documentId, line_no: i + 1, product_id: l.productId, ...keyParts(l), quantity: l.quantity })),
  );
  return rows.sort((a, b) => a.line_no - b.line_no);
}


const lineInput = (l: Selectable<DocumentLineTable>): DocumentLineInput => ({
  productId: l.product_id,
  size: l.size,
  lot: l.lot,
  expiry: l.expiry,
  serial: l.serial,
  location: l.location,
  quantity: Number(l.quantity),
});

