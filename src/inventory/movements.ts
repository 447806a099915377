import { round } from '../quantity.js';
import type { Db } from '../storage/database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { parseAuthor, type DocumentAuthor } from './document-views.js';
import { levelKey } from './ledger.js';
import { keyView } from './stock-key.js';

/** One ledger row as GET /api/v1/movements shows it: the change, the key's level after it, and its document. */
export interface MovementView {
  id: number;
  createdAt: string;
  warehouseId: number;
  productId: number;
  size: string | null;
  lot: string | null;
  expiry: string | null;
  serial: string | null;
  location: string | null;
  amountDelta: number;
  reservedDelta: number;
  /** The stock key's level right after this movement. */
  amount: number;
  reserved: number;
  free: number;
  document: {
    id: number;
    type: string;
    reference: string | null;
    /** The document this one cancels (the movement is part of a reversal). */
    reversesDocumentId: number | null;
    source: string | null;
    author: DocumentAuthor | null;
  };
}

/** Filters: a product, a warehouse, and any part of the stock key ('' = the key has no such part). */
export interface MovementFilter {
  productId?: number;
  warehouseId?: number;
  size?: string;
  lot?: string;
  expiry?: string;
  serial?: string;
  location?: string;
  documentId?: number;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

const KEY_PARTS = ['size', 'lot', 'expiry', 'serial', 'location'] as const;

/**
 * Movements newest first (by id: movements of one key are inserted in the order they were applied,
 * under the key's row lock). The level after each is worked back from the key's current level,
 * which always equals the sum of its movements: one aggregate of the movements newer than the page.
 */
export async function listMovements(db: Db, accountId: string, f: MovementFilter): Promise<{ data: MovementView[]; nextCursor: string | null }> {
  let q = db
    .selectFrom('movements as m')
    .innerJoin('stock_levels as l', 'l.id', 'm.stock_level_id')
    .innerJoin('documents as d', 'd.id', 'm.document_id')
    .selectAll('l')
    .select([
      'm.id as movement_id',
      'm.amount_delta',
      'm.reserved_delta',
      'm.created_ms as movement_ms',
      'm.document_id',
      'd.type as document_type',
      'd.reference',
      'd.reverses_id',
      'd.source',
      'd.author',
    ])
    .where('m.account_id', '=', accountId);
  if (f.productId !== undefined) q = q.where('l.product_id', '=', f.productId);
  if (f.warehouseId !== undefined) q = q.where('l.warehouse_id', '=', f.warehouseId);
  for (const part of KEY_PARTS) {
    const v = f[part];
    if (v !== undefined) q = q.where(`l.${part}`, '=', v);
  }
  if (f.documentId !== undefined) q = q.where('m.document_id', '=', f.documentId);
  if (f.since !== undefined) q = q.where('m.created_ms', '>=', Date.parse(f.since));
  if (f.until !== undefined) q = q.where('m.created_ms', '<', Date.parse(f.until));
  if (f.cursor !== undefined) q = q.where('m.id', '<', decodeCursor(f.cursor, 'n')[0] as number);
  const rows = await q.orderBy('m.id', 'desc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  if (page.length === 0) return { data: [], nextCursor: null };

  // What moved each key after the page's newest movement: subtracted from the current level.
  const levelIds = [...new Set(page.map((r) => r.id))];
  const newer = await db
    .selectFrom('movements')
    .select((eb) => ['stock_level_id', eb.fn.sum<number>('amount_delta').as('a'), eb.fn.sum<number>('reserved_delta').as('r')])
    .where('account_id', '=', accountId)
    .where('stock_level_id', 'in', levelIds)
    .where('id', '>', page[0].movement_id)
    .groupBy('stock_level_id')
    .execute();
  const after = new Map<number, { amount: number; reserved: number }>();
  for (const r of page) if (!after.has(r.id)) after.set(r.id, { amount: Number(r.amount), reserved: Number(r.reserved) });
  for (const n of newer) {
    const lv = after.get(n.stock_level_id) as { amount: number; reserved: number };
    lv.amount -= Number(n.a);
    lv.reserved -= Number(n.r);
  }
  const data = page.map((r): MovementView => {
    const lv = after.get(r.id) as { amount: number; reserved: number };
    const amount = round(lv.amount);
    const reserved = round(lv.reserved);
    const amountDelta = Number(r.amount_delta);
    const reservedDelta = Number(r.reserved_delta);
    lv.amount -= amountDelta;
    lv.reserved -= reservedDelta;
    return {
      id: r.movement_id,
      createdAt: new Date(Number(r.movement_ms)).toISOString(),
      ...(keyView(levelKey(r)) as Pick<MovementView, 'warehouseId' | 'productId' | (typeof KEY_PARTS)[number]>),
      amountDelta,
      reservedDelta,
      amount,
      reserved,
      free: round(amount - reserved),
      document: {
        id: r.document_id,
        type: r.document_type,
        reference: r.reference,
        reversesDocumentId: r.reverses_id,
        source: r.source,
        author: parseAuthor(r.author),
      },
    };
  });
  const last = page[page.length - 1];
  return { data, nextCursor: rows.length > f.limit ? encodeCursor([last.movement_id]) : null };
}
