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

/**
 * Columns a list can be ordered by (the document id breaks ties): posted time, number (the id),
 * type, reference (none sorts as ''), warehouse (the name of the one it takes from).
 */
export const DOCUMENT_SORTS = ['posted', 'number', 'type', 'reference', 'warehouse'] as const;
export type DocumentSort = (typeof DOCUMENT_SORTS)[number];

export interface DocumentFilter {
  type?: string;
  /** The warehouse a document takes from or (transfers) moves to. */
  warehouseId?: number;
  /** true: only cancelled documents; false: only those still standing (reversals included). */
  cancelled?: boolean;
  /** Part of the reference, case-insensitive. */
  q?: string;
  /** A column to order by; without it (or 'number') the order is the id's. */
  sort?: DocumentSort;
  /** desc (default): newest / highest first; asc: oldest / lowest first. */
  dir?: 'asc' | 'desc';
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/** The account's documents with their lines, newest first (or by a column); the cursor carries the last row's sort value and id. */
export async function listDocuments(db: Db, accountId: string, f: DocumentFilter): Promise<{ data: DocumentRead[]; nextCursor: string | null }> {
  let q = db
    .selectFrom('documents as d')
    .leftJoin('warehouses as w', (j) => j.onRef('w.id', '=', 'd.warehouse_id').onRef('w.account_id', '=', 'd.account_id'))
    .selectAll('d')
    .select(sql<string>`coalesce(w.name, '')`.as('warehouse_name'))
    .where('d.account_id', '=', accountId);
  if (f.type !== undefined) q = q.where('d.type', '=', f.type);
  if (f.warehouseId !== undefined) {
    const wh = f.warehouseId;
    q = q.where((eb) => eb.or([eb('d.warehouse_id', '=', wh), eb('d.to_warehouse_id', '=', wh)]));
  }
  if (f.cancelled !== undefined) q = q.where('d.status', '=', f.cancelled ? 'cancelled' : 'posted');
  if (f.q !== undefined && f.q.trim() !== '') {
    const p = likePattern(f.q.trim());
    q = q.where(sql<SqlBool>`lower(d.reference) like ${p} escape '\\'`);
  }
  if (f.since !== undefined) q = q.where('d.created_ms', '>=', Date.parse(f.since));
  if (f.until !== undefined) q = q.where('d.created_ms', '<', Date.parse(f.until));
  const asc = f.dir === 'asc';
  const op = sql.raw(asc ? '>' : '<');
  const col = sortColumn(f.sort);
  if (f.cursor !== undefined) {
    if (col === null) q = q.where('d.id', asc ? '>' : '<', decodeCursor(f.cursor, 'n')[0] as number);
    else {
      const [value, id] = decodeCursor(f.cursor, `${col.kind}n`);
      // Row values compare lexicographically on both databases: (sort value, id) past the cursor.
      q = q.where(sql<SqlBool>`(${col.expr}, d.id) ${op} (${value}, ${id})`);
    }
  }
  if (col !== null) q = q.orderBy(col.expr, asc ? 'asc' : 'desc');
  const rows = await q.orderBy('d.id', asc ? 'asc' : 'desc').limit(f.limit + 1).execute();
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
    nextCursor: rows.length > f.limit && last ? encodeCursor(col === null ? [last.id] : [col.value(last), last.id]) : null,
  };
}

type Row = { created_ms: number; type: string; reference: string | null; warehouse_name: string };

/** The expression a sort orders by, the cursor kind of its value and that value of a row ('number' is the id order). */
function sortColumn(sort: DocumentSort | undefined): { expr: ReturnType<typeof sql>; kind: string; value: (r: Row) => string | number } | null {
  if (sort === 'posted') return { expr: sql`d.created_ms`, kind: 'f', value: (r) => Number(r.created_ms) };
  if (sort === 'type') return { expr: sql`d.type`, kind: 's', value: (r) => r.type };
  if (sort === 'reference') return { expr: sql`coalesce(d.reference, '')`, kind: 's', value: (r) => r.reference ?? '' };
  if (sort === 'warehouse') return { expr: sql`coalesce(w.name, '')`, kind: 't', value: (r) => r.warehouse_name };
  return null;
}
