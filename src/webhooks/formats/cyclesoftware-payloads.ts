import type { OutboundOrderItemView, OutboundOrderView } from '../../inventory/outbound-order-views.js';
import type { StockItemView } from '../../inventory/stock-items.js';

/**
 * CycleSoftware (docs/formats/cyclesoftware.md) writes datetimes as `2022-07-05 11:07:48` (no zone, no fraction); ours are UTC.
 * @example cyclesoftwareDatetime('2022-07-05T11:07:48.123Z') // '2022-07-05 11:07:48'
 */
export function cyclesoftwareDatetime(iso: string): string {
  return new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
}

/** CycleSoftware's (docs/formats/cyclesoftware.md) order item, property for property and in the vendor document's order. */
function orderItemPayload(i: OutboundOrderItemView): Record<string, unknown> {
  return {
    outbound_order_item_id: i.id,
    item_type_id: i.itemTypeId,
    is_active: i.isActive,
    barcode: i.barcode,
    quantity: i.quantity,
    quantity_claimed: i.quantityClaimed,
    quantity_shipped: i.quantityShipped,
    is_blocked_for_claiming: i.isBlockedForClaiming,
    description: i.description,
    remark: i.remark,
    reference: i.reference,
    is_sold_to_customer: i.isSoldToCustomer,
    is_attached_to_outbound_item_id: i.attachedToItemId,
    is_pooled_within_stores: i.isPooledWithinStores,
  };
}

/** `warehouse_outbound_order.created_or_updated`'s payload. Only the vendor document's properties: strict receivers reject extras. */
export function outboundOrderPayload(o: OutboundOrderView): Record<string, unknown> {
  return {
    outbound_order_id: o.id,
    outbound_order_type_id: o.typeId,
    outbound_order_status_id: o.statusId,
    dealer_id: o.dealerId,
    account_id: o.orderAccountId,
    store_id: o.warehouseId,
    created_at: cyclesoftwareDatetime(o.createdAt),
    datetime_preferred_delivery: o.preferredDeliveryAt === null ? null : cyclesoftwareDatetime(o.preferredDeliveryAt),
    sales_order_id: o.salesOrderId,
    order_reference_text: o.referenceText,
    order_items: o.items.map(orderItemPayload),
  };
}

/** `warehouse_stock_item.*`'s payload, in the order of the vendor document's example. */
export function stockItemPayload(s: StockItemView): Record<string, unknown> {
  return {
    warehouse_stock_item_id: s.id,
    warehouse_outbound_order_id: s.outboundOrderId,
    warehouse_outbound_order_item_id: s.outboundOrderItemId,
    warehouse_outbound_shipment_id: s.outboundShipmentId,
    warehouse_outbound_shipment_item_id: s.outboundShipmentItemId,
    article_id: s.articleId,
    barcode: s.barcode,
    battery_id: s.batteryId,
    customer_id: s.customerId,
    customer_order_id: s.customerOrderId,
    employee_first_name: s.employeeFirstName,
    employee_last_name: s.employeeLastName,
    frame_id: s.frameId,
    is_assembled: s.isAssembled,
    is_shipped: s.isShipped,
    is_delivered: s.isDelivered,
    key_id: s.keyId,
    lock_id: s.lockId,
    license_plate_number: s.licensePlateNumber,
    order_reference_id: s.orderReferenceId,
    order_reference_text: s.orderReferenceText,
    sub_order_items: s.subOrderItems.map((x) => ({
      article_id: x.articleId,
      barcode: x.barcode,
      is_active: x.isActive,
      is_included: x.isIncluded,
      quantity: x.quantity,
      quantity_claimed: x.quantityClaimed,
      reference: x.reference,
      remark: x.remark,
    })),
    supplier_id: s.supplierId,
    warehouse_location: { location: s.location.location, rack_name: s.location.rackName },
    labels: [...s.labels],
  };
}
