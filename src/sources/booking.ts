import { createHash } from 'node:crypto';
import type { WriteScope } from '../context.js';
import { postDocumentIn } from '../inventory/documents.js';
import { isAmount, MAX_QUANTITY } from '../inventory/numbers.js';
import { createMappedProduct, resolveProduct, resolveWarehouse } from './mapping.js';
import type { Source } from './sources.js';
import type { BalanceRow } from './vendors.js';

/** What a booking did, kept in the source log. */
export interface BookResult {
  documentIds: number[];
  booked: number;
  unmatched: number;
  stale: Array<{ key: string; mark: number; last: number }>;
  createdProductIds: number[];
}

/** A balance to book: a vendor's row, or an unmatched one kept earlier (its id). */
export interface Pending {
  row: BalanceRow;
  unmatchedId?: number;
}

/**
 * The events of a booking carry their origin: the source, and the subscriptions the account
 * marked as the source's own system. The fan-out (delivery/fan-out.ts `wants`) sends those
 * subscriptions nothing of it: a change Poster reported must not be told back to Poster as if it
 * were new (the supplier API's no-echo, made general). Kept in the event, so a replay decides the same.
 */
export function withOrigin(scope: WriteScope, source: Source): WriteScope {
  const origin = { sourceId: source.id, noEchoTo: source.ownWebhookIds };
  return { tx: scope.tx, now: scope.now, emit: (e) => scope.emit({ ...e, data: { ...e.data, origin } }) };
}

/**
 * A key short enough for a primary key on both databases (PostgreSQL's b-tree entries end near
 * 2.7 kB): a longer one is stored as its SHA-256.
 */
export const boundedKey = (key: string): string => (key.length <= 200 ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`);

/** The external key a vendor's mark orders: the vendor's product, warehouse and key parts. */
export const markKey = (r: BalanceRow): string =>
  boundedKey(JSON.stringify([r.product.id, r.warehouse ?? '', r.parts.size, r.parts.lot, r.parts.expiry, r.parts.serial, r.parts.location]));

/** The bounds the documents API puts on a line's key parts; a vendor's row past them is kept, not booked. */
const PART_LIMITS = { size: 50, lot: 100, serial: 100, location: 100 } as const;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Why a row's key parts cannot be a stock key, or null. An expiry is a calendar date, as the API's. */
function badParts(parts: BalanceRow['parts']): string | null {
  for (const [k, max] of Object.entries(PART_LIMITS)) {
    if (parts[k as keyof typeof PART_LIMITS].length > max) return `${k} is longer than ${max} characters`;
  }
  if (parts.expiry === '') return null;
  const m = DATE.exec(parts.expiry);
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!d || d.toISOString().slice(0, 10) !== parts.expiry) return `expiry "${parts.expiry}" is not a calendar date (YYYY-MM-DD)`;
  return null;
}

type Placed = { productId: number; warehouseId: number } | { reason: string };

/** Where a row books, or why it cannot (then it is kept as unmatched, never dropped). */
async function place(scope: WriteScope, source: Source, row: BalanceRow, created: number[]): Promise<Placed> {
  if (!isAmount(row.amount, MAX_QUANTITY)) return { reason: `amount ${row.amount} is not a balance the ledger keeps (0 to ${MAX_QUANTITY})` };
  const parts = badParts(row.parts);
  if (parts !== null) return { reason: parts };
  const warehouseId = await resolveWarehouse(scope.tx, source, row.warehouse);
  if (warehouseId === null) {
    return { reason: row.warehouse === null ? 'the vendor names no warehouse and the source has no defaultWarehouseId' : `warehouse ${row.warehouse} maps to no warehouse` };
  }
  const wh = await scope.tx.selectFrom('warehouses').select('active').where('id', '=', warehouseId).executeTakeFirst();
  if (wh?.active !== 1) return { reason: `warehouse ${warehouseId} is not active` };
  let product = await resolveProduct(scope.tx, source, row.product);
  if (!product && source.allowCreate) {
    product = await createMappedProduct(scope, source, row.product);
    created.push(product.id);
  }
  if (!product) return { reason: `product ${row.product.id} maps to no product (mapping: ${source.mapping})` };
  const size = row.parts.size;
  if (product.sizes.length > 0 ? !product.sizes.includes(size) : size !== '') return { reason: `product ${product.id} has no size "${size}"` };
  // The ledger refuses a count below the units reserved at the key (free stock never goes
  // negative); kept here, so that one row does not stop the rest of the message.
  const level = await scope.tx
    .selectFrom('stock_levels')
    .select('reserved')
    .where('account_id', '=', source.accountId)
    .where('product_id', '=', product.id)
    .where('warehouse_id', '=', warehouseId)
    .where('size', '=', row.parts.size)
    .where('lot', '=', row.parts.lot)
    .where('expiry', '=', row.parts.expiry)
    .where('serial', '=', row.parts.serial)
    .where('location', '=', row.parts.location)
    .executeTakeFirst();
  const reserved = Number(level?.reserved ?? 0);
  if (row.amount < reserved) return { reason: `amount ${row.amount} is below the ${reserved} units reserved at the key` };
  return { productId: product.id, warehouseId };
}

/**
 * Books balances as `count` documents, one per warehouse, through the documents' own posting code
 * (so levels stay the sum of movements and events and webhooks follow), with the source as the
 * document's source (`source:<id>`) and the reference naming the log entry. A balance older than
 * the last one booked for its key from this source (the vendor's mark) is skipped and reported.
 * Rows that map to nothing are kept as unmatched with their raw row.
 */
export async function bookBalances(scope: WriteScope, source: Source, items: Pending[], reference: string, requestId: string | null): Promise<BookResult> {
  const { tx, now } = scope;
  const result: BookResult = { documentIds: [], booked: 0, unmatched: 0, stale: [], createdProductIds: [] };
  const groups = new Map<number, Map<string, { productId: number } & BalanceRow['parts'] & { quantity: number }>>();
  const marks = new Map<string, number>();
  const bookedIn = new Map<number, number[]>();
  for (const { row, unmatchedId } of items) {
    const key = markKey(row);
    if (row.mark !== null) {
      const last = await tx.selectFrom('source_marks').select('mark').where('source_id', '=', source.id).where('key', '=', key).executeTakeFirst();
      const lastMark = Math.max(Number(last?.mark ?? -Infinity), marks.get(key) ?? -Infinity);
      if (row.mark < lastMark) {
        result.stale.push({ key, mark: row.mark, last: lastMark });
        if (unmatchedId !== undefined) await tx.updateTable('source_unmatched').set({ booked_ms: now, reason: 'stale: a newer balance was booked' }).where('id', '=', unmatchedId).execute();
        continue;
      }
    }
    const placed = await place(scope, source, row, result.createdProductIds);
    if ('reason' in placed) {
      result.unmatched += 1;
      if (unmatchedId !== undefined) await tx.updateTable('source_unmatched').set({ reason: placed.reason }).where('id', '=', unmatchedId).execute();
      else {
        await tx
          .insertInto('source_unmatched')
          .values({
            account_id: source.accountId,
            source_id: source.id,
            request_id: requestId,
            product_ref: row.product.id,
            warehouse_ref: row.warehouse ?? '',
            reason: placed.reason,
            row: JSON.stringify(row),
            created_ms: now,
            booked_ms: null,
            document_id: null,
          })
          .execute();
      }
      continue;
    }
    const lines = groups.get(placed.warehouseId) ?? new Map();
    // A vendor repeating a key in one message means its last value.
    lines.set(JSON.stringify([placed.productId, row.parts]), { productId: placed.productId, ...row.parts, quantity: row.amount });
    groups.set(placed.warehouseId, lines);
    if (row.mark !== null) marks.set(key, Math.max(row.mark, marks.get(key) ?? -Infinity));
    if (unmatchedId !== undefined) {
      bookedIn.set(placed.warehouseId, [...(bookedIn.get(placed.warehouseId) ?? []), unmatchedId]);
    }
  }
  const origin = withOrigin(scope, source);
  for (const [warehouseId, lines] of groups) {
    const doc = await postDocumentIn(origin, source.accountId, { type: 'count', warehouseId, reference, lines: [...lines.values()] }, `source:${source.id}`);
    result.documentIds.push(doc.id);
    result.booked += lines.size;
    const ids = bookedIn.get(warehouseId) ?? [];
    if (ids.length > 0) await tx.updateTable('source_unmatched').set({ booked_ms: now, document_id: doc.id }).where('id', 'in', ids).execute();
  }
  for (const [key, mark] of marks) {
    await tx
      .insertInto('source_marks')
      .values({ source_id: source.id, key, mark, updated_ms: now })
      .onConflict((oc) => oc.columns(['source_id', 'key']).doUpdateSet({ mark, updated_ms: now }))
      .execute();
  }
  return result;
}
