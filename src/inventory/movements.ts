import { round } from '../quantity.js';
import type { StockKeyView } from '../receiver/types.js';
import type { Db } from '../storage/database.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { parseAuthor, type DocumentAuthor } from './document-views.js';
import { levelKey } from './ledger.js';
import { keyView } from './stock-key.js';

/** One ledger row as GET /api/v1/movements shows it: the change, the key's level after it, and its document. */
export interface MovementView extends StockKeyView {
  id: number;
  createdAt: string;
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
 * under the key's row lock), each with its key's level right after it: the sum of the key's
 * movements up to it (levels always equal the sum of their movements).
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

  // A key's level after a movement is the sum of its movements up to it: the sum of those older than
  // the page, then every movement of the page's keys across the page's id range (filters such as
  // since= may leave some of them out of the page, they still count). Movements are append-only and
  // a key's movements get ids in the order they were applied (under the key's row lock), so this
  // needs no snapshot shared with the page query.
  const levelIds = [...new Set(page.map((r) => r.id))];
  const lo = page[page.length - 1].movement_id;
  const hi = page[0].movement_id;
  const inKeys = () => db.selectFrom('movements').where('account_id', '=', accountId).where('stock_level_id', 'in', levelIds);
  const [older, span] = await Promise.all([
    inKeys()
      .select((eb) => ['stock_level_id', eb.fn.sum<number>('amount_delta').as('a'), eb.fn.sum<number>('reserved_delta').as('r')])
      .where('id', '<', lo)
      .groupBy('stock_level_id')
      .execute(),
    inKeys().select(['id', 'stock_level_id', 'amount_delta', 'reserved_delta']).where('id', '>=', lo).where('id', '<=', hi).orderBy('id').execute(),
  ]);
  const level = new Map<number, { amount: number; reserved: number }>(levelIds.map((id) => [id, { amount: 0, reserved: 0 }]));
  for (const o of older) level.set(o.stock_level_id, { amount: Number(o.a), reserved: Number(o.r) });
  const after = new Map<number, { amount: number; reserved: number }>();
  for (const m of span) {
    const lv = level.get(m.stock_level_id) as { amount: number; reserved: number };
    lv.amount += Number(m.amount_delta);
    lv.reserved += Number(m.reserved_delta);
    after.set(m.id, { amount: lv.amount, reserved: lv.reserved });
  }
  const data = page.map((r): MovementView => {
    const lv = after.get(r.movement_id) as { amount: number; reserved: number };
    const amount = round(lv.amount);
    const reserved = round(lv.reserved);
    return {
      id: r.movement_id,
      createdAt: new Date(Number(r.movement_ms)).toISOString(),
      ...(keyView(levelKey(r)) as Pick<MovementView, 'warehouseId' | 'productId' | (typeof KEY_PARTS)[number]>),
      amountDelta: Number(r.amount_delta),
      reservedDelta: Number(r.reserved_delta),
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
