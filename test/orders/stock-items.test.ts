import { expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, product, warehouse } from '../support/fixtures.js';

/** Seed 003's stock item table, in our names, with the JSON type each must have. */
const TYPES: Record<string, string> = {
  id: 'integer',
  outboundOrderId: 'integer',
  outboundOrderItemId: 'integer',
  outboundShipmentId: 'integer',
  outboundShipmentItemId: 'integer',
  location: 'object',
  supplierId: 'integer',
  articleId: 'string',
  barcode: 'string',
  batteryId: 'string',
  customerId: 'integer',
  customerOrderId: 'integer',
  employeeFirstName: 'string',
  employeeLastName: 'string',
  frameId: 'string',
  isAssembled: 'boolean',
  isShipped: 'boolean',
  isDelivered: 'boolean',
  keyId: 'string',
  lockId: 'string',
  licensePlateNumber: 'string',
  orderReferenceId: 'string',
  orderReferenceText: 'string',
  labels: 'array',
  subOrderItems: 'array',
  isReleasedForShipment: 'boolean',
  createdAt: 'string',
  updatedAt: 'string',
};

const SUB_TYPES: Record<string, string> = {
  articleId: 'string',
  barcode: 'string',
  isActive: 'boolean',
  isIncluded: 'boolean',
  quantity: 'integer',
  quantityClaimed: 'integer',
  reference: 'string',
  remark: 'string',
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function expectShape(item: any): void {
  expect(Object.keys(item).sort()).toEqual(Object.keys(TYPES).sort());
  for (const [k, t] of Object.entries(TYPES)) expect(typeOf(item[k]), k).toBe(t);
  expect(Object.keys(item.location).sort()).toEqual(['location', 'rackName']);
  expect([typeOf(item.location.location), typeOf(item.location.rackName)]).toEqual(['string', 'string']);
  for (const l of item.labels) expect(typeOf(l)).toBe('string');
  for (const s of item.subOrderItems) {
    expect(Object.keys(s).sort()).toEqual(Object.keys(SUB_TYPES).sort());
    for (const [k, t] of Object.entries(SUB_TYPES)) expect(typeOf(s[k]), `sub.${k}`).toBe(t);
  }
}

const SEED_ITEM = {
  outboundShipmentId: 0,
  outboundShipmentItemId: 0,
  articleId: '4961',
  barcode: '2000100281620',
  batteryId: 'BAT22222',
  customerId: 1006,
  customerOrderId: 333,
  employeeFirstName: 'First',
  employeeLastName: 'Last',
  frameId: '3232',
  isAssembled: true,
  isShipped: false,
  isDelivered: false,
  keyId: '2323',
  lockId: '2323',
  licensePlateNumber: 'xx-yy-zz',
  orderReferenceId: 'fvs12222',
  orderReferenceText: 'REF',
  subOrderItems: [
    { articleId: 'a3223', barcode: '883273232332', isActive: true, isIncluded: true, quantity: 2, quantityClaimed: 2, reference: 'ref-1', remark: 'remark-1' },
  ],
  supplierId: 2113,
  location: { location: 'R-1-2', rackName: 'R' },
  labels: ['Label 1'],
};

describeEachDb('stock items', (env) => {
  const create = (e: TestEnv, a: TestAccount, body: object, status = 201) => call(e, a, 'POST', '/api/v1/stock-items', body, status);

  async function orderItem(e: TestEnv, a: TestAccount): Promise<{ orderId: number; itemId: number }> {
    const w = await warehouse(e, a);
    const p = await product(e, a);
    const o = (await call(e, a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 1 }] }, 201)).body;
    return { orderId: o.id, itemId: o.items[0].id };
  }

  it('creates an item with defaults for every attribute and emits stock_item.created', async () => {
    const e = env();
    const a = await e.newAccount();
    const before = (await events(e, a)).length;
    const item = (await create(e, a, { frameId: 'F-1', subOrderItems: [{ articleId: 'a1' }] })).body;
    expectShape(item);
    expect(item).toMatchObject({ frameId: 'F-1', outboundOrderId: 0, outboundOrderItemId: 0, supplierId: 0, labels: [], isShipped: false, isReleasedForShipment: false });
    expect(item.location).toEqual({ location: '', rackName: '' });
    expect(item.subOrderItems).toEqual([{ articleId: 'a1', barcode: '', isActive: true, isIncluded: false, quantity: 0, quantityClaimed: 0, reference: '', remark: '' }]);
    const evs = (await events(e, a)).slice(before);
    expect(evs.map((x) => [x.type, x.object, x.action, x.objectId])).toEqual([['stock_item.created', 'stock_item', 'added', String(item.id)]]);
    expectShape(evs[0].data.stockItem);
    expect(evs[0].data.stockItem).toEqual(item);
    expect((await call(e, a, 'GET', `/api/v1/stock-items/${item.id}`, undefined, 200)).body).toEqual(item);
  });

  it("links to an order item, taking its order id, and refuses unknown or other accounts' items with 404", async () => {
    const e = env();
    const a = await e.newAccount();
    const { orderId, itemId } = await orderItem(e, a);
    const item = (await create(e, a, { ...SEED_ITEM, outboundOrderItemId: itemId })).body;
    expectShape(item);
    expect(item).toMatchObject({ ...SEED_ITEM, outboundOrderId: orderId, outboundOrderItemId: itemId });
    expect((await create(e, a, { outboundOrderItemId: 999999 }, 404)).body.error.code).toBe('NOT_FOUND');
    expect((await create(e, a, { outboundOrderId: 999999 }, 404)).body.error.code).toBe('NOT_FOUND');
    expect((await create(e, a, { outboundOrderItemId: itemId, outboundOrderId: orderId + 1 }, 400)).body.error.code).toBe('VALIDATION_FAILED');
    const b = await e.newAccount();
    expect((await create(e, b, { outboundOrderItemId: itemId }, 404)).body.error.code).toBe('NOT_FOUND');
    expect((await create(e, a, { subOrderItems: [{ quantity: -1 }] }, 400)).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('PATCH merges attributes and emits stock_item.updated with the full item', async () => {
    const e = env();
    const a = await e.newAccount();
    const { orderId, itemId } = await orderItem(e, a);
    const item = (await create(e, a, SEED_ITEM)).body;
    const before = (await events(e, a)).length;
    const patched = (
      await call(e, a, 'PATCH', `/api/v1/stock-items/${item.id}`, { lockId: 'L-9', location: { rackName: 'S' }, labels: [], outboundOrderItemId: itemId }, 200)
    ).body;
    expectShape(patched);
    expect(patched).toMatchObject({ lockId: 'L-9', keyId: '2323', location: { location: 'R-1-2', rackName: 'S' }, labels: [], outboundOrderId: orderId });
    const evs = (await events(e, a)).slice(before);
    expect(evs.map((x) => [x.type, x.object, x.action])).toEqual([['stock_item.updated', 'stock_item', 'changed']]);
    expect(evs[0].data).toEqual({ stockItem: patched });
    expectShape(evs[0].data.stockItem);
  });

  it('releases for shipment once; a second release is refused with 422 and emits nothing', async () => {
    const e = env();
    const a = await e.newAccount();
    const item = (await create(e, a, SEED_ITEM)).body;
    const before = (await events(e, a)).length;
    const released = (await call(e, a, 'POST', `/api/v1/stock-items/${item.id}/release`, undefined, 200)).body;
    expect(released.isReleasedForShipment).toBe(true);
    const again = await call(e, a, 'POST', `/api/v1/stock-items/${item.id}/release`, undefined, 422);
    expect(again.body.error.code).toBe('INVALID_STATE');
    const evs = (await events(e, a)).slice(before);
    expect(evs.map((x) => [x.type, x.object, x.objectId])).toEqual([['stock_item.released_for_shipment', 'stock_item', String(item.id)]]);
    expectShape(evs[0].data.stockItem);
    expect(evs[0].data.stockItem).toEqual(released);
  });

  it('deletes without an event; afterwards the item reads as 404', async () => {
    const e = env();
    const a = await e.newAccount();
    const item = (await create(e, a, SEED_ITEM)).body;
    const keep = (await create(e, a, { frameId: 'keep' })).body;
    const before = (await events(e, a)).length;
    await call(e, a, 'DELETE', `/api/v1/stock-items/${item.id}`, undefined, 204);
    expect((await events(e, a)).length).toBe(before);
    for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { frameId: 'x' }], ['POST', '/release', undefined], ['DELETE', '', undefined]] as const) {
      expect((await call(e, a, method, `/api/v1/stock-items/${item.id}${suffix}`, body, 404)).body.error.code).toBe('NOT_FOUND');
    }
    expect((await call(e, a, 'GET', '/api/v1/stock-items', undefined, 200)).body.data).toEqual([keep]);
    expect((await events(e, a)).length).toBe(before);
  });

  it("hides a stock item from another account's token", async () => {
    const e = env();
    const a = await e.newAccount();
    const item = (await create(e, a, SEED_ITEM)).body;
    const b = await e.newAccount();
    for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { frameId: 'x' }], ['POST', '/release', undefined], ['DELETE', '', undefined]] as const) {
      expect((await call(e, b, method, `/api/v1/stock-items/${item.id}${suffix}`, body, 404)).body.error.code).toBe('NOT_FOUND');
    }
    expect((await call(e, b, 'GET', '/api/v1/stock-items', undefined, 200)).body.data).toEqual([]);
    expect((await call(e, a, 'GET', `/api/v1/stock-items/${item.id}`, undefined, 200)).body).toEqual(item);
    expect(await events(e, b)).toEqual([]);
  });
});
