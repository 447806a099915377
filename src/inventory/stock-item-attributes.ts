import { Type, type Static } from '@sinclair/typebox';
import { MAX_ID, MAX_QUANTITY } from './numbers.js';

const Id = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_ID, description });
const Text = (description: string) => Type.String({ maxLength: 200, description });

export const SubOrderItem = Type.Object({
  articleId: Text('article id, e.g. a3223'),
  barcode: Text('article barcode'),
  isActive: Type.Boolean(),
  isIncluded: Type.Boolean({ description: 'included with the item' }),
  quantity: Type.Integer({ minimum: 0, maximum: MAX_QUANTITY }),
  quantityClaimed: Type.Integer({ minimum: 0, maximum: MAX_QUANTITY }),
  reference: Text('reference of the sub item'),
  remark: Text('remark of the sub item'),
});

export const StockItemLocation = Type.Object({
  location: Text('location in the warehouse, e.g. R-1-2'),
  rackName: Text('rack name, e.g. R'),
});

/**
 * Every attribute of CycleSoftware's (docs/formats/cyclesoftware.md) warehouse stock item, in our camelCase names. Ids are 0 when the
 * item has none (the vendor document's convention), text is '' and flags false, so every view carries every
 * property with the vendor document's JSON type.
 */
export const StockItemAttributes = Type.Object({
  outboundOrderId: Id('0 when not associated with an order; taken from outboundOrderItemId when that is set'),
  outboundOrderItemId: Id('0 when not associated with an order item'),
  outboundShipmentId: Id('0 when not shipped'),
  outboundShipmentItemId: Id('0 when not shipped'),
  location: StockItemLocation,
  supplierId: Id('supplier of the object'),
  articleId: Text('article number'),
  barcode: Text('barcode of the unit'),
  batteryId: Text('battery id'),
  customerId: Id('customer id in the POS'),
  customerOrderId: Id('sales order id in the POS'),
  employeeFirstName: Text('employee first name'),
  employeeLastName: Text('employee last name'),
  frameId: Text('frame id'),
  isAssembled: Type.Boolean(),
  isShipped: Type.Boolean(),
  isDelivered: Type.Boolean(),
  keyId: Text('key id'),
  lockId: Text('lock id'),
  licensePlateNumber: Text('licence plate'),
  orderReferenceId: Text('POS order reference id'),
  orderReferenceText: Text('POS order reference text'),
  labels: Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 }),
  subOrderItems: Type.Array(SubOrderItem, { maxItems: 200 }),
});

export type StockItemAttributes = Static<typeof StockItemAttributes>;
export type SubOrderItem = Static<typeof SubOrderItem>;

/** What a request may send: any subset, with partial locations and sub items; nothing else. */
const strict = { additionalProperties: false } as const;
export const StockItemAttributesInput = Type.Partial(
  Type.Object(
    {
      ...StockItemAttributes.properties,
      location: Type.Partial(StockItemLocation, strict),
      subOrderItems: Type.Array(Type.Partial(SubOrderItem, strict), { maxItems: 200 }),
    },
    strict,
  ),
);
export type StockItemAttributesInput = Static<typeof StockItemAttributesInput>;

const SUB_DEFAULTS: SubOrderItem = {
  articleId: '',
  barcode: '',
  isActive: true,
  isIncluded: false,
  quantity: 0,
  quantityClaimed: 0,
  reference: '',
  remark: '',
};

export const DEFAULT_ATTRIBUTES: StockItemAttributes = {
  outboundOrderId: 0,
  outboundOrderItemId: 0,
  outboundShipmentId: 0,
  outboundShipmentItemId: 0,
  location: { location: '', rackName: '' },
  supplierId: 0,
  articleId: '',
  barcode: '',
  batteryId: '',
  customerId: 0,
  customerOrderId: 0,
  employeeFirstName: '',
  employeeLastName: '',
  frameId: '',
  isAssembled: false,
  isShipped: false,
  isDelivered: false,
  keyId: '',
  lockId: '',
  licensePlateNumber: '',
  orderReferenceId: '',
  orderReferenceText: '',
  labels: [],
  subOrderItems: [],
};

/**
 * Applies a change to a complete attribute set. Only known keys are copied, so nothing a client
 * adds (or a row written by an older version lacks) can change the stored shape; a location is
 * merged, lists are replaced.
 */
export function mergeAttributes(base: StockItemAttributes, input: StockItemAttributesInput): StockItemAttributes {
  const out = { ...base } as Record<string, unknown>;
  for (const key of Object.keys(DEFAULT_ATTRIBUTES) as Array<keyof StockItemAttributes>) {
    const v = input[key];
    if (v === undefined) continue;
    if (key === 'location') out.location = { ...base.location, ...pick(v as object, ['location', 'rackName']) };
    else if (key === 'labels') out.labels = [...(v as string[])];
    else if (key === 'subOrderItems') out.subOrderItems = (v as Partial<SubOrderItem>[]).map((s) => ({ ...SUB_DEFAULTS, ...pick(s, Object.keys(SUB_DEFAULTS)) }));
    else out[key] = v;
  }
  return out as StockItemAttributes;
}

/** Reads stored JSON, filling anything missing from the defaults. */
export const parseAttributes = (json: string): StockItemAttributes =>
  mergeAttributes(DEFAULT_ATTRIBUTES, JSON.parse(json) as StockItemAttributesInput);

function pick(o: object, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((o as Record<string, unknown>)[k] !== undefined) out[k] = (o as Record<string, unknown>)[k];
  return out;
}
