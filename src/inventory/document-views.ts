import type { Selectable } from 'kysely';
import type { StockKeyView } from '../receiver/types.js';
import { notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { DocumentLineTable, DocumentTable } from '../storage/schema.js';

export const DOCUMENT_TYPES = ['receipt', 'sale', 'return', 'transfer', 'writeoff', 'count', 'reserve', 'release'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export interface DocumentView {
  id: number;
  type: DocumentType;
  status: 'posted' | 'cancelled';
  warehouseId: number;
  toWarehouseId: number | null;
  reference: string | null;
  reversesDocumentId: number | null;
  reversedByDocumentId: number | null;
  createdAt: string;
  lines: Array<Omit<StockKeyView, 'warehouseId'> & { quantity: number }>;
}

/** Who posted a document: the account's user or an installed application (null when not recorded). */
export type DocumentAuthor = { kind: 'user'; applicationId: null } | { kind: 'application'; applicationId: number };

/** A document as the API reads it back: the event's view plus who or what wrote it. */
export interface DocumentRead extends DocumentView {
  author: DocumentAuthor | null;
  /** What inside stockhook wrote it: `supplier` (the supplier API), `outbound_order:<id>`; null for the documents API. */
  source: string | null;
}

/** The token kind that posts a document, as the documents table records it. */
export const authorOf = (p: { tokenKind: string; applicationId: number | null }): string =>
  p.tokenKind === 'application' && p.applicationId !== null ? `application:${p.applicationId}` : 'user';

export function parseAuthor(author: string | null): DocumentAuthor | null {
  if (author === 'user') return { kind: 'user', applicationId: null };
  const m = author ? /^application:(\d+)$/.exec(author) : null;
  return m ? { kind: 'application', applicationId: Number(m[1]) } : null;
}

export const toRead = (d: Selectable<DocumentTable>, lines: Selectable<DocumentLineTable>[]): DocumentRead => ({
  ...toView(d, lines),
  author: parseAuthor(d.author),
  source: d.source,
});

export async function getDocument(db: Db, accountId: string, id: number): Promise<DocumentRead> {
  const doc = await db.selectFrom('documents').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!doc) throw notFound('document', id);
  return toRead(doc, await loadLines(db, accountId, id));
}

/** A document's lines in order. */
export async function loadLines(db: Db | Tx, accountId: string, documentId: number): Promise<Selectable<DocumentLineTable>[]> {
  return db
    .selectFrom('document_lines')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('document_id', '=', documentId)
    .orderBy('line_no')
    .execute();
}

export function toView(d: Selectable<DocumentTable>, lines: Selectable<DocumentLineTable>[]): DocumentView {
  return {
    id: d.id,
    type: d.type as DocumentType,
    status: d.status,
    warehouseId: d.warehouse_id,
    toWarehouseId: d.to_warehouse_id,
    reference: d.reference,
    reversesDocumentId: d.reverses_id,
    reversedByDocumentId: d.reversed_by_id,
    createdAt: new Date(Number(d.created_ms)).toISOString(),
    lines: lines.map((l) => ({
      productId: l.product_id,
      size: l.size || null,
      lot: l.lot || null,
      expiry: l.expiry || null,
      serial: l.serial || null,
      location: l.location || null,
      quantity: Number(l.quantity),
    })),
  };
}
