import { sql, type SqlBool } from 'kysely';
import type { Db } from '../storage/database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { DOCUMENT_TYPES, toRead, type DocumentRead } from './document-views.js';
import { likePattern } from './stock-list.js';

/**
 * The types a list can ask for: the public ones, and 'ship', which only an outbound order's
 * shipment writes (it cannot be posted, but it is in the ledger and a shop looks for it).
 */
export const LISTED_DOCUMENT_TYPES = [...DOCUMENT_TYPES, 'ship'] as const;

export interface DocumentFilter {
  type?: string;
  /** The warehouse a document takes from or (transfers) moves to. */
  warehouseId?: number;
  /** true: only cancelled documents; false: only those still standing (reversals included). */
  cancelled?: boolean;
  /** Part of the reference, case-insensitive. */
  q?: string;
  /** desc (default): newest first; asc: oldest first. */
  dir?: 'asc' | 'desc';
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** The account's documents with their lines, newest first (or oldest first); cursor = the last id seen. */
export async function listDocuments(db: Db, accountId: string, f: DocumentFilter): Promise<{ data: DocumentRead[]; nextCursor: string | null }> {
  let q = db.selectFrom('documents').selectAll().where('account_id', '=', accountId);
  if (f.type !== undefined) q = q.where('type', '=', f.type);
  if (f.warehouseId !== undefined) {
    const wh = f.warehouseId;
    q = q.where((eb) => eb.or([eb('warehouse_id', '=', wh), eb('to_warehouse_id', '=', wh)]));
  }
  if (f.cancelled !== undefined) q = q.where('status', '=', f.cancelled ? 'cancelled' : 'posted');
  if (f.q !== undefined && f.q.trim() !== '') {
    const p = likePattern(f.q.trim());
    q = q.where(sql<SqlBool>`lower(reference) like ${p} escape '\\'`);
  }
  if (f.since !== undefined) q = q.where('created_ms', '>=', Date.parse(f.since));
  if (f.until !== undefined) q = q.where('created_ms', '<', Date.parse(f.until));
  const asc = f.dir === 'asc';
  if (f.cursor !== undefined) q = q.where('id', asc ? '>' : '<', decodeCursor(f.cursor, 'n')[0] as number);
  const rows = await q.orderBy('id', asc ? 'asc' : 'desc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  const ids = page.map((d) => d.id);
  const lines =
    ids.length === 0
      ? []
      : await db.selectFrom('document_lines').selectAll().where('account_id', '=', accountId).where('document_id', 'in', ids).orderBy('document_id').orderBy('line_no').execute();
  const byDoc = new Map<number, typeof lines>();
  for (const l of lines) byDoc.set(l.document_id, [...(byDoc.get(l.document_id) ?? []), l]);
  const last = page[page.length - 1];
  return {
    data: page.map((d) => toRead(d, byDoc.get(d.id) ?? [])),
    nextCursor: rows.length > f.limit && last ? encodeCursor([last.id]) : null,
  };
}
