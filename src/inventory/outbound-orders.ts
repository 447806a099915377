import type { Selectable } from 'kysely';
import { writeTx, type Ctx } from '../context.js';
import { AppError, notFound } from '../errors.js';
import type { Db, Tx } from '../storage/database.js';
import type { ProductTable } from '../storage/schema.js';
import { emitOrderEvents, postOrderStock, type OrderMove } from './outbound-order-stock.js';
import { lockOrder, loadItems, loadOrderView, orderView, type ItemRow, type OutboundOrderView } from './outbound-order-views.js';
import { findProduct } from './products.js';
import { findWarehouse } from './warehouses.js';

export { claimOrder, shipOrder, type ItemQuantity } from './outbound-order-stock.js';
export type { OutboundOrderItemView, OutboundOrderView } from './outbound-order-views.js';

export interface OrderItemInput {
  productId?: number;
  itemTypeId?: number;
  isActive?: boolean;
  barcode?: string;
  quantity?: number;
  isBlockedForClaiming?: boolean;
  description?: string;
  remark?: string;
  reference?: string;
  isSoldToCustomer?: boolean;
  attachedToItemId?: number | null;
  isPooledWithinStores?: boolean;
}

export interface OrderFieldsInput {
  warehouseId?: number;
  typeId?: number;
  statusId?: number;
  dealerId?: number;
  orderAccountId?: number;
  /** ISO 8601, or CycleSoftware's `YYYY-MM-DD HH:mm:ss` (read as UTC). */
  preferredDeliveryAt?: string | null;
  salesOrderId?: number | null;
  referenceText?: string;
}

export interface OrderCreateInput extends OrderFieldsInput {
  warehouseId: number;
  items?: Array<OrderItemInput & { productId: number; quantity: number }>;
}

export interface OrderPatchInput extends OrderFieldsInput {
  /** With `id`: changes that item; without: adds one (productId and quantity required). */
  items?: Array<OrderItemInput & { id?: number }>;
}

/**
 * A time without a zone is CycleSoftware's wall-clock format; we read it as UTC. Date.parse rolls
 * 2026-02-30 over into March, so the calendar date and the clock are checked first.
 */
export function parseDeliveryTime(s: string | null | undefined): number | null | undefined {
  if (s == null) return s;
  const invalid = () => new AppError('VALIDATION_FAILED', `preferredDeliveryAt "${s}" is not a valid time`, { field: 'preferredDeliveryAt' });
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(s);
  if (!m) throw invalid();
  const [y, mo, d, h = 0, mi = 0, se = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) throw invalid();
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(s);
  const ms = Date.parse(zoned ? s : `${s.replace(' ', 'T')}${s.length === 10 ? 'T00:00:00' : ''}Z`);
  if (Number.isNaN(ms)) throw invalid();
  return ms;
}

async function activeWarehouse(tx: Tx, accountId: string, id: number): Promise<void> {
  const wh = await findWarehouse(tx, accountId, id);
  if (wh.active !== 1) throw new AppError('INACTIVE_WAREHOUSE', `warehouse ${id} is not active`, { field: 'warehouseId' });
}

/** Items reserve a product's unsized stock, so a product kept per size cannot be ordered by product alone. */
async function orderableProduct(tx: Tx, accountId: string, id: number, field: string): Promise<Selectable<ProductTable>> {
  const p = await findProduct(tx, accountId, id);
  const sizes = JSON.parse(p.sizes) as unknown[];
  if (sizes.length > 0) {
    throw new AppError('UNKNOWN_SIZE', `product ${id} is kept per size; order items claim unsized stock`, { field });
  }
  return p;
}

const flag = (b: boolean): number => (b ? 1 : 0);

function orderColumns(p: OrderFieldsInput) {
  const delivery = parseDeliveryTime(p.preferredDeliveryAt);
  return {
    ...(p.warehouseId !== undefined && { warehouse_id: p.warehouseId }),
    ...(p.typeId !== undefined && { type_id: p.typeId }),
    ...(p.statusId !== undefined && { status_id: p.statusId }),
    ...(p.dealerId !== undefined && { dealer_id: p.dealerId }),
    ...(p.orderAccountId !== undefined && { order_account_id: p.orderAccountId }),
    ...(delivery !== undefined && { preferred_delivery_ms: delivery }),
    ...(p.salesOrderId !== undefined && { sales_order_id: p.salesOrderId }),
    ...(p.referenceText !== undefined && { reference_text: p.referenceText }),
  };
}

/** The plain columns of an item; product, quantity and activity have rules of their own. */
function itemColumns(p: OrderItemInput) {
  return {
    ...(p.itemTypeId !== undefined && { item_type_id: p.itemTypeId }),
    ...(p.barcode !== undefined && { barcode: p.barcode }),
    ...(p.isBlockedForClaiming !== undefined && { blocked_for_claiming: flag(p.isBlockedForClaiming) }),
    ...(p.description !== undefined && { description: p.description }),
    ...(p.remark !== undefined && { remark: p.remark }),
    ...(p.reference !== undefined && { reference: p.reference }),
    ...(p.isSoldToCustomer !== undefined && { sold_to_customer: flag(p.isSoldToCustomer) }),
    ...(p.attachedToItemId !== undefined && { attached_to_item_id: p.attachedToItemId }),
    ...(p.isPooledWithinStores !== undefined && { pooled_within_stores: flag(p.isPooledWithinStores) }),
  };
}

/** An attachment must point at another item of the same order, so receivers can resolve it. */
function checkAttachment(items: ItemRow[], selfId: number | null, target: number | null | undefined, field: string): void {
  if (target == null) return;
  if (target === selfId || !items.some((it) => it.id === target)) {
    throw new AppError('NOT_FOUND', `attachedToItemId ${target} is not another item of this order`, { field, id: target });
  }
}

async function insertItem(tx: Tx, accountId: string, orderId: number, items: ItemRow[], input: OrderItemInput, i: number): Promise<ItemRow> {
  if (input.productId === undefined || input.quantity === undefined) {
    throw new AppError('VALIDATION_FAILED', `items[${i}] needs productId and quantity`, { field: `items[${i}]` });
  }
  const product = await orderableProduct(tx, accountId, input.productId, `items[${i}].productId`);
  checkAttachment(items, null, input.attachedToItemId, `items[${i}].attachedToItemId`);
  return tx
    .insertInto('outbound_order_items')
    .values({
      account_id: accountId,
      order_id: orderId,
      product_id: product.id,
      item_type_id: 1,
      active: 1,
      barcode: product.code,
      quantity: input.quantity,
      quantity_claimed: 0,
      quantity_shipped: 0,
      blocked_for_claiming: 0,
      description: '',
      remark: '',
      reference: '',
      sold_to_customer: 0,
      attached_to_item_id: null,
      pooled_within_stores: 0,
      ...itemColumns(input),
      ...(input.isActive !== undefined && { active: flag(input.isActive) }),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function createOrder(ctx: Ctx, accountId: string, input: OrderCreateInput): Promise<OutboundOrderView> {
  const columns = orderColumns(input); // parses the delivery time: refused before the transaction
  const { result } = await writeTx(ctx, accountId, async (scope) => {
    const { tx, now } = scope;
    await activeWarehouse(tx, accountId, input.warehouseId);
    const order = await tx
      .insertInto('outbound_orders')
      .values({
        account_id: accountId,
        warehouse_id: input.warehouseId,
        type_id: 1,
        status_id: 1,
        dealer_id: 0,
        order_account_id: 0,
        preferred_delivery_ms: null,
        sales_order_id: null,
        reference_text: '',
        created_ms: now,
        updated_ms: now,
        ...columns,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const items: ItemRow[] = [];
    for (const [i, item] of (input.items ?? []).entries()) items.push(await insertItem(tx, accountId, order.id, items, item, i));
    const view = orderView(order, items);
    emitOrderEvents(scope, view, true, []);
    return view;
  });
  return result;
}

/**
 * Changes order fields and items in one transaction. Deactivating an item (`isActive: false`, the
 * vendor document's "marked deleted") releases what it claimed but did not ship, and its claimed quantity
 * falls back to the shipped one, so the view never shows a claim the ledger no longer holds.
 */
export async function updateOrder(ctx: Ctx, accountId: string, id: number, input: OrderPatchInput): Promise<OutboundOrderView> {
  const columns = orderColumns(input); // parses the delivery time: refused before the transaction
  const { result } = await writeTx(ctx, accountId, async (scope) => {
    const { tx, now } = scope;
    const order = await lockOrder(tx, accountId, id);
    const items = await loadItems(tx, accountId, [id]);
    const releases: OrderMove[] = [];
    const seen = new Set<number>();
    for (const [i, patch] of (input.items ?? []).entries()) {
      if (patch.id === undefined) {
        items.push(await insertItem(tx, accountId, id, items, patch, i));
        continue;
      }
      if (seen.has(patch.id)) throw new AppError('VALIDATION_FAILED', `items[${i}] repeats item ${patch.id}`, { field: `items[${i}].id` });
      seen.add(patch.id);
      const item = items.find((it) => it.id === patch.id);
      if (!item) throw notFound('outbound order item', patch.id);
      const claimed = Number(item.quantity_claimed);
      const shipped = Number(item.quantity_shipped);
      let barcode: string | undefined;
      if (patch.productId !== undefined && patch.productId !== item.product_id) {
        if (claimed > 0) throw new AppError('INVALID_STATE', `item ${item.id} has claimed stock; its product cannot change`, { itemId: item.id });
        barcode = (await orderableProduct(tx, accountId, patch.productId, `items[${i}].productId`)).code;
      }
      if (patch.quantity !== undefined && patch.quantity < claimed) {
        throw new AppError('INVALID_STATE', `item ${item.id}: quantity ${patch.quantity} is below the claimed ${claimed}`, { itemId: item.id });
      }
      const deactivate = patch.isActive === false && item.active === 1;
      if (deactivate && claimed > shipped) releases.push({ item, quantity: claimed - shipped });
      checkAttachment(items, item.id, patch.attachedToItemId, `items[${i}].attachedToItemId`);
      const row = await tx
        .updateTable('outbound_order_items')
        .set({
          ...(patch.productId !== undefined && { product_id: patch.productId }),
          ...(barcode !== undefined && { barcode }),
          ...(patch.quantity !== undefined && { quantity: patch.quantity }),
          ...(patch.isActive !== undefined && { active: flag(patch.isActive) }),
          ...(deactivate && { quantity_claimed: shipped }),
          ...itemColumns(patch),
        })
        .where('account_id', '=', accountId)
        .where('id', '=', item.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      items[items.indexOf(item)] = row;
    }
    if (input.warehouseId !== undefined && input.warehouseId !== order.warehouse_id) {
      await activeWarehouse(tx, accountId, input.warehouseId);
      const held = items.find((it) => it.active === 1 && Number(it.quantity_claimed) > Number(it.quantity_shipped));
      if (held) throw new AppError('INVALID_STATE', `item ${held.id} holds a reservation at warehouse ${order.warehouse_id}`, { itemId: held.id });
    }
    // Released at the warehouse the claim was made at, before any warehouse change is written.
    const postings = releases.length > 0 ? [await postOrderStock(scope, accountId, order, 'release', releases)] : [];
    const updated = await tx
      .updateTable('outbound_orders')
      .set({ ...columns, updated_ms: now })
      .where('account_id', '=', accountId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const view = orderView(updated, items);
    emitOrderEvents(scope, view, false, postings);
    return view;
  });
  return result;
}

export async function getOrder(db: Db, accountId: string, id: number): Promise<OutboundOrderView> {
  return loadOrderView(db, accountId, id);
}

export interface OrderFilter {
  warehouseId?: number;
  statusId?: number;
  /** Keyset paging: orders with a larger id. */
  after?: number;
  limit?: number;
}

export async function listOrders(db: Db, accountId: string, f: OrderFilter = {}): Promise<OutboundOrderView[]> {
  let q = db.selectFrom('outbound_orders').selectAll().where('account_id', '=', accountId);
  if (f.warehouseId !== undefined) q = q.where('warehouse_id', '=', f.warehouseId);
  if (f.statusId !== undefined) q = q.where('status_id', '=', f.statusId);
  if (f.after !== undefined) q = q.where('id', '>', f.after);
  const orders = await q.orderBy('id').limit(f.limit ?? 100).execute();
  const items = await loadItems(db, accountId, orders.map((o) => o.id));
  return orders.map((o) => orderView(o, items.filter((it) => it.order_id === o.id)));
}
