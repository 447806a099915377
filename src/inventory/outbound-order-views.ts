import { sql, type Selectable } from 'kysely';
import { notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { OutboundOrderItemTable, OutboundOrderTable } from '../storage/schema.js';

export type OrderRow = Selectable<OutboundOrderTable>;
export type ItemRow = Selectable<OutboundOrderItemTable>;

/** CycleSoftware's (docs/formats/cyclesoftware.md) order item, in our camelCase names (formats map them back to snake_case). */
export interface OutboundOrderItemView {
  id: number;
  productId: number;
  itemTypeId: number;
  isActive: boolean;
  barcode: string;
  quantity: number;
  quantityClaimed: number;
  quantityShipped: number;
  isBlockedForClaiming: boolean;
  description: string;
  remark: string;
  reference: string;
  isSoldToCustomer: boolean;
  attachedToItemId: number | null;
  isPooledWithinStores: boolean;
}

export interface OutboundOrderView {
  id: number;
  typeId: number;
  statusId: number;
  dealerId: number;
  orderAccountId: number;
  warehouseId: number;
  preferredDeliveryAt: string | null;
  salesOrderId: number | null;
  referenceText: string;
  createdAt: string;
  updatedAt: string;
  items: OutboundOrderItemView[];
}

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

export const itemView = (r: ItemRow): OutboundOrderItemView => ({
  id: r.id,
  productId: r.product_id,
  itemTypeId: r.item_type_id,
  isActive: r.active === 1,
  barcode: r.barcode,
  quantity: Number(r.quantity),
  quantityClaimed: Number(r.quantity_claimed),
  quantityShipped: Number(r.quantity_shipped),
  isBlockedForClaiming: r.blocked_for_claiming === 1,
  description: r.description,
  remark: r.remark,
  reference: r.reference,
  isSoldToCustomer: r.sold_to_customer === 1,
  attachedToItemId: r.attached_to_item_id,
  isPooledWithinStores: r.pooled_within_stores === 1,
});

export const orderView = (o: OrderRow, items: ItemRow[]): OutboundOrderView => ({
  id: o.id,
  typeId: o.type_id,
  statusId: o.status_id,
  dealerId: o.dealer_id,
  orderAccountId: o.order_account_id,
  warehouseId: o.warehouse_id,
  preferredDeliveryAt: o.preferred_delivery_ms == null ? null : iso(o.preferred_delivery_ms),
  salesOrderId: o.sales_order_id,
  referenceText: o.reference_text,
  createdAt: iso(o.created_ms),
  updatedAt: iso(o.updated_ms),
  items: items.map(itemView),
});

/**
 * Takes the order row's lock (a no-op UPDATE) before any change to the order or its items. Every
 * write to one order is thereby serialized, so claims and shipments can check item quantities in
 * JS and then write them without another writer slipping in between. Lock order is always
 * order row, then its items, then stock keys (sorted), then the account's event counter.
 */
export async function lockOrder(tx: Tx, accountId: string, id: number): Promise<OrderRow> {
  const row = await tx
    .updateTable('outbound_orders')
    .set({ updated_ms: sql<number>`updated_ms` })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('outbound order', id);
  return row;
}

export async function loadItems(db: Db | Tx, accountId: string, orderIds: number[]): Promise<ItemRow[]> {
  if (orderIds.length === 0) return [];
  return db
    .selectFrom('outbound_order_items')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('order_id', 'in', orderIds)
    .orderBy('order_id')
    .orderBy('id')
    .execute();
}

export async function loadOrderView(db: Db | Tx, accountId: string, id: number): Promise<OutboundOrderView> {
  const order = await db
    .selectFrom('outbound_orders')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!order) throw notFound('outbound order', id);
  return orderView(order, await loadItems(db, accountId, [id]));
}
