import { sql, type Insertable, type Selectable } from 'kysely';
import type { Db, Tx } from './db.js';
import { preparedRows } from './prepared.js';
import type { DocumentLineTable, DocumentTable, KeyColumns, StockLevelTable } from './schema.js';

/**
 * The ledger's statements that each store builds on (sqlite/ledger-rows.ts,
 * postgres/ledger-rows.ts), and the operations whose statements differ per database (LedgerRows).
 */

/**
 * Quantities are doubles; a tolerance keeps 0.3 - 0.1 - 0.2 (= -2.8e-17) from counting as negative.
 * It is far below any unit anyone stocks in.
 */
const EPSILON = 1e-9;

export type LevelRow = Selectable<StockLevelTable>;

/** One stock key's change as its statements take it: the key's columns, the deltas and the time. */
export type KeyChange = KeyColumns & { account_id: string; warehouse_id: number; product_id: number; a: number; r: number; now: number };

const KEY_COLUMNS = ['account_id', 'warehouse_id', 'product_id', 'size', 'lot', 'expiry', 'serial', 'location'] as const;

/** A pure addition: INSERT .. ON CONFLICT DO UPDATE, no guard needed. */
export function upsertLevel(db: Db | Tx, v: KeyChange) {
  return db
    .insertInto('stock_levels')
    .values({
      account_id: v.account_id,
      warehouse_id: v.warehouse_id,
      product_id: v.product_id,
      size: v.size,
      lot: v.lot,
      expiry: v.expiry,
      serial: v.serial,
      location: v.location,
      amount: v.a,
      reserved: 0,
      version: 1,
      updated_ms: v.now,
    })
    .onConflict((oc) =>
      oc.columns(['account_id', 'product_id', 'warehouse_id', 'size', 'lot', 'expiry', 'serial', 'location']).doUpdateSet({
        amount: sql`stock_levels.amount + excluded.amount`,
        version: sql`stock_levels.version + 1`,
        updated_ms: v.now,
      }),
    )
    .returningAll();
}

/** Any other change: one conditional UPDATE whose WHERE states the invariants; no row back means refused. */
export function guardedUpdate(db: Db | Tx, v: KeyChange) {
  let q = db.updateTable('stock_levels').set(setDeltas(v.a, v.r, v.now));
  for (const col of KEY_COLUMNS) q = q.where(col, '=', v[col]);
  return guard(q, v.a, v.r).returningAll();
}

export function setDeltas(a: number, r: number, now: number) {
  return {
    amount: sql<number>`amount + ${a}`,
    reserved: sql<number>`reserved + ${r}`,
    version: sql<number>`version + 1`,
    updated_ms: now,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function guard<Q extends { where: (...args: any[]) => Q }>(q: Q, a: number, r: number): Q {
  return q
    .where(sql<boolean>`amount + ${a} >= ${-EPSILON}`)
    .where(sql<boolean>`reserved + ${r} >= ${-EPSILON}`)
    .where(sql<boolean>`(amount + ${a}) - (reserved + ${r}) >= ${-EPSILON}`);
}

/** A posted document's own columns, as every post writes them. */
export interface DocumentHead {
  accountId: string;
  type: string;
  warehouseId: number;
  toWarehouseId: number | null;
  reference: string | null;
  source: string | null;
  author: string | null;
  now: number;
}

export function documentInsert(db: Db, v: DocumentHead) {
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

/** One line of a document to insert: its product, key parts and quantity (line_no is its place). */
export type LineValues = KeyColumns & { productId: number; quantity: number };

type LineRow = Insertable<DocumentLineTable> & KeyColumns;
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

/** Inserts the lines, numbered from 1, and returns them as stored in line order (RETURNING saves reading them back). */
export async function insertLines(tx: Tx, accountId: string, documentId: number, lines: LineValues[]): Promise<Selectable<DocumentLineTable>[]> {
  const { rows } = await insertLineRows(
    tx,
    lines.map((l, i) => ({
      account_id: accountId,
      document_id: documentId,
      line_no: i + 1,
      product_id: l.productId,
      size: l.size,
      lot: l.lot,
      expiry: l.expiry,
      serial: l.serial,
      location: l.location,
      quantity: l.quantity,
    })),
  );
  return rows.sort((a, b) => a.line_no - b.line_no);
}

/** The ledger's writes whose statements differ per database. */
export interface LedgerRows {
  /** Inserts a posted document and its lines; returns both as stored, the lines in line order. */
  insertDocument(tx: Tx, head: DocumentHead, lines: LineValues[]): Promise<{ doc: Selectable<DocumentTable>; lines: Selectable<DocumentLineTable>[] }>;
  /**
   * Applies one key's change in one statement: an upsert when `adding`, else the guarded update
   * (no level back: the guard refused and nothing was written). Given the document, the store may
   * write the change's movement in the same statement: `moved` says it did.
   */
  changeKey(tx: Tx, v: KeyChange, adding: boolean, documentId?: number): Promise<{ level: LevelRow | undefined; moved: boolean }>;
}
