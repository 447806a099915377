import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import { prepared } from '../prepared.js';
import type { DocumentLineTable, DocumentTable } from '../schema.js';
import {
  documentInsert,
  guardedUpdate,
  insertLines,
  upsertLevel,
  type DocumentHead,
  type KeyChange,
  type LedgerRows,
  type LineValues,
} from '../ledger-sql.js';

// Compiled once (prepared.ts) and kept as named statements (named-statements.ts).
const insertDocument = prepared<DocumentHead>()((db, v) => documentInsert(db, v));
const addToKey = prepared<KeyChange>()((db, v) => upsertLevel(db, v));
const changeKey = prepared<KeyChange>()((db, v) => guardedUpdate(db, v));

/**
 * A one-line document (the common case): the document and its line in one statement (a
 * data-modifying WITH), one round trip fewer. The line's columns come back prefixed `line_`.
 */
type OneLine = DocumentHead & LineValues;
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

/** A joined row's `line_…` columns, without the prefix, and the document's columns. */
function splitLine(row: Record<string, unknown>): { doc: Selectable<DocumentTable>; line: Selectable<DocumentLineTable> } {
  const line: Record<string, unknown> = {};
  const doc: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (k.startsWith('line_')) line[k.slice('line_'.length)] = v;
    else doc[k] = v;
  }
  return { doc: doc as unknown as Selectable<DocumentTable>, line: line as unknown as Selectable<DocumentLineTable> };
}

/**
 * The level's statement also writes its movement (a data-modifying WITH), so a line costs one
 * round trip instead of two. No row back means the guard refused: nothing was written.
 */
type KeyMove = KeyChange & { documentId: number };
const withMovement = (db: Db, v: KeyMove, adding: boolean) =>
  db
    .with('level', () => (adding ? upsertLevel(db, v) : guardedUpdate(db, v)))
    .with('moved', (qc) =>
      qc
        .insertInto('movements')
        .columns(['account_id', 'document_id', 'stock_level_id', 'amount_delta', 'reserved_delta', 'created_ms'])
        .expression((eb) =>
          eb
            .selectFrom('level')
            // Typed casts: PostgreSQL cannot infer a parameter's type inside a WITH's SELECT list.
            .select((s) => [
              s.cast(s.val(v.account_id), 'text').as('account_id'),
              s.cast(s.val(v.documentId), 'integer').as('document_id'),
              'level.id',
              s.cast(s.val(v.a), 'double precision').as('amount_delta'),
              (adding ? s.cast(s.val(0), 'double precision') : s.cast(s.val(v.r), 'double precision')).as('reserved_delta'),
              s.cast(s.val(v.now), 'bigint').as('created_ms'),
            ]),
        ),
    )
    .selectFrom('level')
    .selectAll();
const addToKeyAndMove = prepared<KeyMove>()((db, v) => withMovement(db, v, true));
const changeKeyAndMove = prepared<KeyMove>()((db, v) => withMovement(db, v, false));

export const postgresLedgerRows: LedgerRows = {
  async insertDocument(tx, head, lines) {
    if (lines.length === 1) {
      const [row] = (await documentWithLine(tx, { ...head, ...lines[0] })).rows;
      const { doc, line } = splitLine(row);
      return { doc, lines: [line] };
    }
    const [doc] = (await insertDocument(tx, head)).rows;
    return { doc, lines: await insertLines(tx, head.accountId, doc.id, lines) };
  },
  async changeKey(tx, v, adding, documentId) {
    if (documentId !== undefined) {
      const moving = { ...v, documentId };
      const [level] = (await (adding ? addToKeyAndMove(tx, moving) : changeKeyAndMove(tx, moving))).rows;
      return { level, moved: true };
    }
    const [level] = (await (adding ? addToKey(tx, v) : changeKey(tx, v))).rows;
    return { level, moved: false };
  },
};
