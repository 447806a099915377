import { sql, type Selectable } from 'kysely';
import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { StockItemTable } from '../storage/schema.js';
import {
  DEFAULT_ATTRIBUTES,
  mergeAttributes,
  parseAttributes,
  type StockItemAttributes,
  type StockItemAttributesInput,
} from './stock-item-attributes.js';

/** One serialized unit (CycleSoftware's (docs/formats/cyclesoftware.md) warehouse stock item) with every attribute the vendor document lists. */
export interface StockItemView extends StockItemAttributes {
  id: number;
  isReleasedForShipment: boolean;
  createdAt: string;
  updatedAt: string;
}

type Row = Selectable<StockItemTable>;

const toView = (r: Row): StockItemView => ({
  id: r.id,
  ...parseAttributes(r.attributes),
  isReleasedForShipment: r.released === 1,
  createdAt: new Date(Number(r.created_ms)).toISOString(),
  updatedAt: new Date(Number(r.updated_ms)).toISOString(),
});

/**
 * Checks the order links a request touched. An order item determines its order, so the order id
 * is taken from it; a different non-zero order id alongside is a contradiction, not a choice.
 * Links the request did not touch are left alone, so an unrelated change never fails on them.
 */
async function resolveLinks(tx: Tx, accountId: string, input: StockItemAttributesInput, attrs: StockItemAttributes): Promise<StockItemAttributes> {
  if (input.outboundOrderItemId === undefined && input.outboundOrderId === undefined) return attrs;
  if (attrs.outboundOrderItemId !== 0) {
    const item = await tx
      .selectFrom('outbound_order_items')
      .select(['id', 'order_id'])
      .where('account_id', '=', accountId)
      .where('id', '=', attrs.outboundOrderItemId)
      .executeTakeFirst();
    if (!item) throw notFound('outbound order item', attrs.outboundOrderItemId);
    if (input.outboundOrderId && input.outboundOrderId !== item.order_id) {
      throw new AppError('VALIDATION_FAILED', `order item ${item.id} belongs to order ${item.order_id}, not ${input.outboundOrderId}`, {
        field: 'outboundOrderId',
      });
    }
    return { ...attrs, outboundOrderId: item.order_id };
  }
  if (attrs.outboundOrderId !== 0) {
    const order = await tx
      .selectFrom('outbound_orders')
      .select('id')
      .where('account_id', '=', accountId)
      .where('id', '=', attrs.outboundOrderId)
      .executeTakeFirst();
    if (!order) throw notFound('outbound order', attrs.outboundOrderId);
  }
  return attrs;
}

async function findItem(db: Db | Tx, accountId: string, id: number): Promise<Row> {
  const row = await db
    .selectFrom('stock_items')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  if (!row) throw notFound('stock item', id);
  return row;
}

export async function createStockItem(ctx: Ctx, accountId: string, input: StockItemAttributesInput): Promise<StockItemView> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const attrs = await resolveLinks(tx, accountId, input, mergeAttributes(DEFAULT_ATTRIBUTES, input));
    const row = await tx
      .insertInto('stock_items')
      .values({ account_id: accountId, attributes: JSON.stringify(attrs), released: 0, deleted: 0, created_ms: now, updated_ms: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = toView(row);
    emit({ type: 'stock_item.created', object: 'stock_item', objectId: view.id, action: 'added', data: { stockItem: view } });
    return view;
  });
  return result;
}

export async function updateStockItem(ctx: Ctx, accountId: string, id: number, input: StockItemAttributesInput): Promise<StockItemView> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    // The attributes are one JSON value: lock the row first (no-op UPDATE) so two concurrent
    // changes of different attributes cannot overwrite each other.
    const locked = await tx
      .updateTable('stock_items')
      .set({ updated_ms: sql<number>`updated_ms` })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .returningAll()
      .executeTakeFirst();
    if (!locked) throw notFound('stock item', id);
    const attrs = await resolveLinks(tx, accountId, input, mergeAttributes(parseAttributes(locked.attributes), input));
    const row = await tx
      .updateTable('stock_items')
      .set({ attributes: JSON.stringify(attrs), updated_ms: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = toView(row);
    emit({ type: 'stock_item.updated', object: 'stock_item', objectId: id, action: 'changed', data: { stockItem: view } });
    return view;
  });
  return result;
}

/**
 * Creates (id null) or changes a stock item inside the caller's transaction, and releases it for
 * shipment when asked and not yet released: what an inbound CycleSoftware source books
 * (sources/stock-item-booking.ts), with the events the stock items API emits for the same changes.
 */
export async function saveStockItemIn(
  scope: WriteScope,
  accountId: string,
  id: number | null,
  input: StockItemAttributesInput,
  release: boolean,
): Promise<StockItemView> {
  const { tx, now, emit } = scope;
  let row: Row;
  if (id === null) {
    const attrs = mergeAttributes(DEFAULT_ATTRIBUTES, input);
    row = await tx
      .insertInto('stock_items')
      .values({ account_id: accountId, attributes: JSON.stringify(attrs), released: 0, deleted: 0, created_ms: now, updated_ms: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    emit({ type: 'stock_item.created', object: 'stock_item', objectId: row.id, action: 'added', data: { stockItem: toView(row) } });
  } else {
    const locked = await findItem(tx, accountId, id);
    const attrs = mergeAttributes(parseAttributes(locked.attributes), input);
    row = await tx.updateTable('stock_items').set({ attributes: JSON.stringify(attrs), updated_ms: now }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    emit({ type: 'stock_item.updated', object: 'stock_item', objectId: id, action: 'changed', data: { stockItem: toView(row) } });
  }
  if (release && row.released === 0) {
    row = await tx.updateTable('stock_items').set({ released: 1, updated_ms: now }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    emit({ type: 'stock_item.released_for_shipment', object: 'stock_item', objectId: row.id, action: 'changed', data: { stockItem: toView(row) } });
  }
  return toView(row);
}

/** Released for shipment happens once; the conditional UPDATE makes a second release lose cleanly. */
export async function releaseStockItem(ctx: Ctx, accountId: string, id: number): Promise<StockItemView> {
  const { result } = await writeTx(ctx, accountId, async ({ tx, now, emit }) => {
    const row = await tx
      .updateTable('stock_items')
      .set({ released: 1, updated_ms: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .where('released', '=', 0)
      .returningAll()
      .executeTakeFirst();
    if (!row) {
      await findItem(tx, accountId, id);
      throw new AppError('INVALID_STATE', `stock item ${id} is already released for shipment`);
    }
    const view = toView(row);
    emit({ type: 'stock_item.released_for_shipment', object: 'stock_item', objectId: id, action: 'changed', data: { stockItem: view } });
    return view;
  });
  return result;
}

/**
 * Marks the stock items a shipment took as shipped (docs/formats/cyclesoftware.md): per shipped
 * order item, up to the shipped quantity of its linked, unshipped stock items (released for
 * shipment first, then the oldest), each getting `isShipped`, the shipment's id (the ship document)
 * and its shipment item id (that order item's line in it), and one stock_item.updated event.
 * Stock items linked only to the order, not to one of its items, cannot be told apart and stay.
 */
export async function markStockItemsShipped(
  scope: WriteScope,
  accountId: string,
  shipmentId: number,
  lines: Array<{ itemId: number; lineId: number; quantity: number }>,
): Promise<void> {
  const { tx, now, emit } = scope;
  for (const line of lines) {
    // The attributes are stored as JSON.stringify of a fixed key order, so this LIKE is an exact
    // prefilter on both databases without a JSON dialect piece; the parsed value decides.
    const candidates = await tx
      .selectFrom('stock_items')
      .select(['id', 'released'])
      .where('account_id', '=', accountId)
      .where('deleted', '=', 0)
      .where('attributes', 'like', `%"outboundOrderItemId":${line.itemId},%`)
      .orderBy('released', 'desc')
      .orderBy('id')
      .execute();
    let left = Math.floor(line.quantity);
    for (const c of candidates) {
      if (left <= 0) break;
      // Lock the row first, like updateStockItem, so a concurrent attribute change is not lost.
      const locked = await tx
        .updateTable('stock_items')
        .set({ updated_ms: sql<number>`updated_ms` })
        .where('account_id', '=', accountId)
        .where('id', '=', c.id)
        .where('deleted', '=', 0)
        .returningAll()
        .executeTakeFirst();
      if (!locked) continue;
      const attrs = parseAttributes(locked.attributes);
      if (attrs.outboundOrderItemId !== line.itemId || attrs.isShipped) continue;
      const shipped = { ...attrs, isShipped: true, outboundShipmentId: shipmentId, outboundShipmentItemId: line.lineId };
      const row = await tx
        .updateTable('stock_items')
        .set({ attributes: JSON.stringify(shipped), updated_ms: now })
        .where('account_id', '=', accountId)
        .where('id', '=', c.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const view = toView(row);
      emit({ type: 'stock_item.updated', object: 'stock_item', objectId: view.id, action: 'changed', data: { stockItem: view } });
      left -= 1;
    }
  }
}

/** Soft delete. CycleSoftware (docs/formats/cyclesoftware.md): "when a stock item is deleted no webhook will be delivered", so no event. */
export async function deleteStockItem(ctx: Ctx, accountId: string, id: number): Promise<void> {
  const now = ctx.now();
  const row = await ctx.store.autocommit((db) =>
    db
      .updateTable('stock_items')
      .set({ deleted: 1, updated_ms: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .returning('id')
      .executeTakeFirst(),
  );
  if (!row) throw notFound('stock item', id);
}

export async function getStockItem(db: Db, accountId: string, id: number): Promise<StockItemView> {
  return toView(await findItem(db, accountId, id));
}

export async function listStockItems(db: Db, accountId: string, page: { after?: number; limit?: number } = {}): Promise<StockItemView[]> {
  let q = db.selectFrom('stock_items').selectAll().where('account_id', '=', accountId).where('deleted', '=', 0);
  if (page.after !== undefined) q = q.where('id', '>', page.after);
  return (await q.orderBy('id').limit(page.limit ?? 100).execute()).map(toView);
}
