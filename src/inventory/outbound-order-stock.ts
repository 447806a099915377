import { writeTx, type Ctx, type WriteScope } from '../context.js';
import { AppError, notFound } from '../errors.js';
import { applyToKey, recordMovements, type AppliedChange, type Change } from './ledger.js';
import { lockOrder, loadItems, orderView, type ItemRow, type OrderRow, type OutboundOrderView } from './outbound-order-views.js';
import { stockChanged } from './stock-events.js';
import { markStockItemsShipped } from './stock-items.js';
import { compareKeys, keyParts, type StockKey } from './stock-key.js';
import { findWarehouse } from './warehouses.js';

export type OrderStockKind = 'claim' | 'ship' | 'release';

export interface ItemQuantity {
  itemId: number;
  quantity: number;
}

export interface OrderMove {
  item: ItemRow;
  quantity: number;
}

/** What an order operation posted to the ledger, for its stock.changed events. */
export interface OrderPosting {
  kind: OrderStockKind;
  documentId: number;
  applied: AppliedChange[];
  /** One document line per order item moved: a shipment's items (CycleSoftware's shipment item ids). */
  lines: Array<{ itemId: number; lineId: number; quantity: number }>;
}

/**
 * The internal document type per operation. A claim is a reservation and a release its undoing,
 * so they reuse those types; a shipment removes the amount and its reservation together, which no
 * public type does, so it gets 'ship' (kept out of POST /api/v1/documents: shipping is only
 * meaningful against an order's claim).
 */
const DOCUMENT_TYPE: Record<OrderStockKind, string> = { claim: 'reserve', ship: 'ship', release: 'release' };

const CHANGE: Record<OrderStockKind, (q: number) => Change> = {
  claim: (q) => ({ amountDelta: 0, reservedDelta: q }),
  ship: (q) => ({ amountDelta: -q, reservedDelta: -q }),
  release: (q) => ({ amountDelta: 0, reservedDelta: -q }),
};

/** Order items claim the product's plain stock key at the order's warehouse. */
const itemKey = (order: OrderRow, item: ItemRow): StockKey => ({
  ...keyParts({}),
  warehouseId: order.warehouse_id,
  productId: item.product_id,
});

/**
 * Posts the order's stock change as an internal document (source `outbound_order:<id>`), so its
 * movements land in the same ledger as every other change and levels stay equal to the sum of
 * movements. Keys are applied in compareKeys order, like documents, so writers cannot deadlock.
 */
export async function postOrderStock(
  scope: WriteScope,
  accountId: string,
  order: OrderRow,
  kind: OrderStockKind,
  moves: OrderMove[],
): Promise<OrderPosting> {
  const { tx, now } = scope;
  const sorted = [...moves].sort((a, b) => compareKeys(itemKey(order, a.item), itemKey(order, b.item)) || a.item.id - b.item.id);
  const doc = await tx
    .insertInto('documents')
    .values({
      account_id: accountId,
      type: DOCUMENT_TYPE[kind],
      warehouse_id: order.warehouse_id,
      to_warehouse_id: null,
      reference: order.reference_text || null,
      status: 'posted',
      reverses_id: null,
      reversed_by_id: null,
      source: `outbound_order:${order.id}`,
      created_ms: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const inserted = await tx
    .insertInto('document_lines')
    .values(
      sorted.map((m, i) => ({
        account_id: accountId,
        document_id: doc.id,
        line_no: i + 1,
        product_id: m.item.product_id,
        ...keyParts({}),
        quantity: m.quantity,
      })),
    )
    .returning(['id', 'line_no'])
    .execute();
  const lineId = new Map(inserted.map((l) => [Number(l.line_no), Number(l.id)]));
  const lines = sorted.map((m, i) => ({ itemId: m.item.id, lineId: lineId.get(i + 1) as number, quantity: m.quantity }));
  const applied: AppliedChange[] = [];
  for (const m of sorted) applied.push(await applyToKey(tx, accountId, itemKey(order, m.item), CHANGE[kind](m.quantity), now, doc.id));
  await recordMovements(tx, accountId, doc.id, applied, now);
  return { kind, documentId: doc.id, applied, lines };
}

/** One outbound_order.updated per write, then one stock.changed per movement. */
export function emitOrderEvents(scope: WriteScope, view: OutboundOrderView, created: boolean, postings: OrderPosting[]): void {
  scope.emit({
    type: 'outbound_order.updated',
    object: 'outbound_order',
    objectId: view.id,
    action: created ? 'added' : 'changed',
    data: { order: view, created },
  });
  for (const p of postings) {
    const cause = { documentId: p.documentId, documentType: p.kind, outboundOrderId: view.id, reference: view.referenceText || null };
    for (const c of p.applied) scope.emit(stockChanged(c, cause));
  }
}

/** How much of an item the operation may still take. */
function open(kind: 'claim' | 'ship', item: ItemRow): number {
  if (item.active !== 1) return 0;
  if (kind === 'claim') return item.blocked_for_claiming === 1 ? 0 : Number(item.quantity) - Number(item.quantity_claimed);
  return Number(item.quantity_claimed) - Number(item.quantity_shipped);
}

function pick(kind: 'claim' | 'ship', items: ItemRow[], requested: ItemQuantity[] | undefined): OrderMove[] {
  if (!requested) return items.map((item) => ({ item, quantity: open(kind, item) })).filter((m) => m.quantity > 0);
  const seen = new Set<number>();
  return requested.map((r, i) => {
    if (seen.has(r.itemId)) throw new AppError('VALIDATION_FAILED', `items[${i}] repeats item ${r.itemId}`, { field: `items[${i}].itemId` });
    seen.add(r.itemId);
    const item = items.find((it) => it.id === r.itemId);
    if (!item) throw notFound('outbound order item', r.itemId);
    if (item.active !== 1) throw new AppError('INVALID_STATE', `item ${item.id} is not active`, { itemId: item.id });
    if (kind === 'claim' && item.blocked_for_claiming === 1) {
      throw new AppError('INVALID_STATE', `item ${item.id} is blocked for claiming`, { itemId: item.id });
    }
    const available = open(kind, item);
    if (r.quantity > available) {
      const what = kind === 'claim' ? 'the unclaimed quantity' : 'the claimed, unshipped quantity';
      throw new AppError('INVALID_STATE', `item ${item.id}: ${r.quantity} exceeds ${what} (${available})`, {
        itemId: item.id,
        requested: r.quantity,
        available,
      });
    }
    return { item, quantity: r.quantity };
  });
}

/**
 * Claims (reserves) or ships order items. Without a list it takes everything open; with nothing
 * open it changes nothing and emits nothing, so repeating "ship everything" is harmless.
 */
async function operate(ctx: Ctx, accountId: string, id: number, kind: 'claim' | 'ship', requested?: ItemQuantity[]): Promise<OutboundOrderView> {
  const { result } = await writeTx(ctx, accountId, async (scope) => {
    const { tx, now } = scope;
    const order = await lockOrder(tx, accountId, id);
    const items = await loadItems(tx, accountId, [id]);
    const moves = pick(kind, items, requested);
    if (moves.length === 0) return orderView(order, items);
    // As for reserve documents: no new reservations at a closed warehouse, but what was claimed
    // there may still ship (or be released) so open orders can wind down.
    if (kind === 'claim' && (await findWarehouse(tx, accountId, order.warehouse_id)).active !== 1) {
      throw new AppError('INACTIVE_WAREHOUSE', `warehouse ${order.warehouse_id} is not active`, { warehouseId: order.warehouse_id });
    }
    const column = kind === 'claim' ? 'quantity_claimed' : 'quantity_shipped';
    for (const m of moves) {
      await tx
        .updateTable('outbound_order_items')
        .set((eb) => ({ [column]: eb(column, '+', m.quantity) }))
        .where('account_id', '=', accountId)
        .where('id', '=', m.item.id)
        .execute();
    }
    const posting = await postOrderStock(scope, accountId, order, kind, moves);
    const touched = await tx
      .updateTable('outbound_orders')
      .set({ updated_ms: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = orderView(touched, await loadItems(tx, accountId, [id]));
    emitOrderEvents(scope, view, false, [posting]);
    if (kind === 'ship') await markStockItemsShipped(scope, accountId, posting.documentId, posting.lines);
    return view;
  });
  return result;
}

export const claimOrder = (ctx: Ctx, accountId: string, id: number, items?: ItemQuantity[]) => operate(ctx, accountId, id, 'claim', items);
export const shipOrder = (ctx: Ctx, accountId: string, id: number, items?: ItemQuantity[]) => operate(ctx, accountId, id, 'ship', items);
