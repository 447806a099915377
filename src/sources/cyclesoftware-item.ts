import { Value } from '@sinclair/typebox/value';
import { StockItemAttributesInput } from '../inventory/stock-item-attributes.js';
import { BadPayload } from './bad-payload.js';

/** CycleSoftware's stock item property → stockhook's attribute (docs/formats/cyclesoftware.md, in reverse). */
const FIELDS: Record<string, string> = {
  supplier_id: 'supplierId',
  article_id: 'articleId',
  barcode: 'barcode',
  battery_id: 'batteryId',
  customer_id: 'customerId',
  customer_order_id: 'customerOrderId',
  employee_first_name: 'employeeFirstName',
  employee_last_name: 'employeeLastName',
  frame_id: 'frameId',
  is_assembled: 'isAssembled',
  is_shipped: 'isShipped',
  is_delivered: 'isDelivered',
  key_id: 'keyId',
  lock_id: 'lockId',
  license_plate_number: 'licensePlateNumber',
  order_reference_id: 'orderReferenceId',
  order_reference_text: 'orderReferenceText',
  labels: 'labels',
};

const SUB_FIELDS: Record<string, string> = {
  article_id: 'articleId',
  barcode: 'barcode',
  is_active: 'isActive',
  is_included: 'isIncluded',
  quantity: 'quantity',
  quantity_claimed: 'quantityClaimed',
  reference: 'reference',
  remark: 'remark',
};

const rename = (o: Record<string, unknown>, fields: Record<string, string>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(fields).filter(([from]) => o[from] !== undefined).map(([from, to]) => [to, o[from]]));

/**
 * The attributes a CycleSoftware stock item payload sets. Its order and shipment ids are
 * CycleSoftware's own (its outbound orders are not stockhook's), so they are not copied: linking
 * them would point at whatever stockhook order happens to have that number.
 */
export function stockItemAttributes(payload: Record<string, unknown>): StockItemAttributesInput {
  const out = rename(payload, FIELDS);
  const loc = payload.warehouse_location;
  if (typeof loc === 'object' && loc !== null) {
    const l = loc as Record<string, unknown>;
    out.location = rename(l, { location: 'location', rack_name: 'rackName' });
  }
  if (Array.isArray(payload.sub_order_items)) {
    out.subOrderItems = payload.sub_order_items.map((s: unknown) => (typeof s === 'object' && s !== null ? rename(s as Record<string, unknown>, SUB_FIELDS) : s));
  }
  if (!Value.Check(StockItemAttributesInput, out)) {
    const first = Value.Errors(StockItemAttributesInput, out).First();
    throw new BadPayload(`payload${first?.path ?? ''}: ${first?.message ?? 'not a stock item'}`);
  }
  return out;
}
