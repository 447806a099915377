import { expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, levels, post, product, warehouse } from '../support/fixtures.js';

type JsonType = 'integer' | 'string' | 'boolean' | 'array' | 'integer|null' | 'string|null';

const ORDER_TYPES: Record<string, JsonType> = {
  id: 'integer',
  typeId: 'integer',
  statusId: 'integer',
  dealerId: 'integer',
  orderAccountId: 'integer',
  warehouseId: 'integer',
  preferredDeliveryAt: 'string|null',
  salesOrderId: 'integer|null',
  referenceText: 'string',
  createdAt: 'string',
  updatedAt: 'string',
  items: 'array',
};

const ITEM_TYPES: Record<string, JsonType> = {
  id: 'integer',
  productId: 'integer',
  itemTypeId: 'integer',
  isActive: 'boolean',
  barcode: 'string',
  quantity: 'integer',
  quantityClaimed: 'integer',
  quantityShipped: 'integer',
  isBlockedForClaiming: 'boolean',
  description: 'string',
  remark: 'string',
  reference: 'string',
  isSoldToCustomer: 'boolean',
  attachedToItemId: 'integer|null',
  isPooledWithinStores: 'boolean',
};

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Every seed property present with its JSON type, and nothing unexpected. */
function expectOrderShape(order: any): void {
  expect(Object.keys(order).sort()).toEqual(Object.keys(ORDER_TYPES).sort());
  for (const [k, t] of Object.entries(ORDER_TYPES)) expect(t.split('|'), `order.${k}`).toContain(typeOf(order[k]));
  for (const item of order.items) {
    expect(Object.keys(item).sort()).toEqual(Object.keys(ITEM_TYPES).sort());
    for (const [k, t] of Object.entries(ITEM_TYPES)) expect(t.split('|'), `item.${k}`).toContain(typeOf(item[k]));
  }
}

describeEachDb('outbound orders', (env) => {
  async function setup(stock = 10): Promise<{ a: TestAccount; w: number; p: number; e: TestEnv }> {
    const e = env();
    const a = await e.newAccount();
    const w = await warehouse(e, a);
    const p = await product(e, a, { code: '8713568215084' });
    if (stock > 0) await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: stock }] });
    return { a, w, p, e };
  }
  const order = (e: TestEnv, a: TestAccount, body: object, status = 201) => call(e, a, 'POST', '/api/v1/outbound-orders', body, status);
  const act = (e: TestEnv, a: TestAccount, id: number, what: 'claim' | 'ship', body?: object, status = 200) =>
    call(e, a, 'POST', `/api/v1/outbound-orders/${id}/${what}`, body, status);
  const level = async (e: TestEnv, a: TestAccount, p: number) => {
    const [l] = await levels(e, a, `?productId=${p}`);
    return { amount: l.amount, reserved: l.reserved, free: l.free };
  };

  it('creates an order with every seed property and emits outbound_order.updated with the full view', async () => {
    const { a, w, p, e } = await setup();
    const before = (await events(e, a)).length;
    const res = await order(e, a, {
      warehouseId: w,
      typeId: 1,
      statusId: 2,
      dealerId: 4807,
      orderAccountId: 4807,
      preferredDeliveryAt: '2022-07-05 11:07:48',
      referenceText: 'WEB-1',
      items: [{ productId: p, quantity: 2, itemTypeId: 2, remark: 'front' }],
    });
    const o = res.body;
    expectOrderShape(o);
    expect(o).toMatchObject({ typeId: 1, statusId: 2, dealerId: 4807, orderAccountId: 4807, warehouseId: w, salesOrderId: null });
    expect(o.preferredDeliveryAt).toBe('2022-07-05T11:07:48.000Z');
    expect(o.items).toEqual([
      expect.objectContaining({ productId: p, itemTypeId: 2, isActive: true, barcode: '8713568215084', quantity: 2, quantityClaimed: 0, quantityShipped: 0, remark: 'front', attachedToItemId: null }),
    ]);
    const evs = (await events(e, a)).slice(before);
    expect(evs.map((x) => [x.type, x.object, x.action, x.objectId])).toEqual([['outbound_order.updated', 'outbound_order', 'added', String(o.id)]]);
    expect(evs[0].data.created).toBe(true);
    expectOrderShape(evs[0].data.order);
    expect(evs[0].data.order).toEqual(o);
    expect((await call(e, a, 'GET', `/api/v1/outbound-orders/${o.id}`, undefined, 200)).body).toEqual(o);
    expect((await call(e, a, 'GET', '/api/v1/outbound-orders', undefined, 200)).body.data).toEqual([o]);
  });

  it('claiming reserves stock and shipping removes it, with one order event and stock events each', async () => {
    const { a, w, p, e } = await setup(10);
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 3 }, { productId: p, quantity: 2 }] })).body;
    const [i1, i2] = o.items.map((i: any) => i.id);
    const before = (await events(e, a)).length;

    const claimed = (await act(e, a, o.id, 'claim', { items: [{ itemId: i1, quantity: 2 }] })).body;
    expect(claimed.items.map((i: any) => i.quantityClaimed)).toEqual([2, 0]);
    expect(await level(e, a, p)).toEqual({ amount: 10, reserved: 2, free: 8 });

    const all = (await act(e, a, o.id, 'claim')).body;
    expect(all.items.map((i: any) => [i.quantityClaimed, i.quantityShipped])).toEqual([[3, 0], [2, 0]]);
    expect(await level(e, a, p)).toEqual({ amount: 10, reserved: 5, free: 5 });

    await act(e, a, o.id, 'ship', { items: [{ itemId: i2, quantity: 1 }] });
    expect(await level(e, a, p)).toEqual({ amount: 9, reserved: 4, free: 5 });
    const shipped = (await act(e, a, o.id, 'ship')).body;
    expect(shipped.items.map((i: any) => [i.quantityClaimed, i.quantityShipped])).toEqual([[3, 3], [2, 2]]);
    expect(await level(e, a, p)).toEqual({ amount: 5, reserved: 0, free: 5 });

    const evs = (await events(e, a)).slice(before);
    expect(evs.map((x) => x.type)).toEqual([
      'outbound_order.updated', 'stock.changed',
      'outbound_order.updated', 'stock.changed', 'stock.changed',
      'outbound_order.updated', 'stock.changed',
      'outbound_order.updated', 'stock.changed', 'stock.changed',
    ]);
    for (const x of evs.filter((x) => x.type === 'outbound_order.updated')) {
      expect(x).toMatchObject({ object: 'outbound_order', action: 'changed', objectId: String(o.id), data: { created: false } });
      expectOrderShape(x.data.order);
    }
    expect(evs[1].data).toMatchObject({ documentType: 'claim', outboundOrderId: o.id, amountDelta: 0, reservedDelta: 2, amount: 10, reserved: 2, free: 8 });
    expect(evs[6].data).toMatchObject({ documentType: 'ship', outboundOrderId: o.id, amountDelta: -1, reservedDelta: -1, amount: 9, reserved: 4 });
    expect(typeof evs[6].data.documentId).toBe('number');
    const doc = (await call(e, a, 'GET', `/api/v1/documents/${evs[6].data.documentId}`, undefined, 200)).body;
    expect(doc).toMatchObject({ type: 'ship', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    // The order's own documents are undone through the order, not the documents API.
    const cancel = await call(e, a, 'POST', `/api/v1/documents/${evs[6].data.documentId}/cancel`, undefined, 422);
    expect(cancel.body.error.code).toBe('INVALID_STATE');
    expect(await level(e, a, p)).toEqual({ amount: 5, reserved: 0, free: 5 });
  });

  it('refuses an over-claim with 422, changing nothing and emitting nothing', async () => {
    const { a, w, p, e } = await setup(2);
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 5 }] })).body;
    await post(e, a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    const before = (await events(e, a)).length;
    const res = await act(e, a, o.id, 'claim', undefined, 422);
    expect(res.body.error.code).toBe('INSUFFICIENT_STOCK');
    const partial = await act(e, a, o.id, 'claim', { items: [{ itemId: o.items[0].id, quantity: 2 }] }, 422);
    expect(partial.body.error.code).toBe('INSUFFICIENT_STOCK');
    expect(await level(e, a, p)).toEqual({ amount: 2, reserved: 1, free: 1 });
    expect((await call(e, a, 'GET', `/api/v1/outbound-orders/${o.id}`, undefined, 200)).body.items[0].quantityClaimed).toBe(0);
    expect((await events(e, a)).length).toBe(before);
  });

  it('refuses claiming beyond the ordered quantity, shipping beyond the claim, and blocked or unknown items', async () => {
    const { a, w, p, e } = await setup(10);
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 2 }, { productId: p, quantity: 1, isBlockedForClaiming: true }] })).body;
    const [i1, i2] = o.items.map((i: any) => i.id);
    const before = (await events(e, a)).length;
    expect((await act(e, a, o.id, 'claim', { items: [{ itemId: i1, quantity: 3 }] }, 422)).body.error).toMatchObject({ code: 'INVALID_STATE', details: { available: 2 } });
    expect((await act(e, a, o.id, 'claim', { items: [{ itemId: i2, quantity: 1 }] }, 422)).body.error.code).toBe('INVALID_STATE');
    expect((await act(e, a, o.id, 'ship', { items: [{ itemId: i1, quantity: 1 }] }, 422)).body.error.code).toBe('INVALID_STATE');
    expect((await act(e, a, o.id, 'claim', { items: [{ itemId: 999999, quantity: 1 }] }, 404)).body.error.code).toBe('NOT_FOUND');
    expect((await events(e, a)).length).toBe(before);

    // The default claim skips the blocked item; a second default claim finds nothing open.
    const claimed = (await act(e, a, o.id, 'claim')).body;
    expect(claimed.items.map((i: any) => i.quantityClaimed)).toEqual([2, 0]);
    const mid = (await events(e, a)).length;
    expect((await act(e, a, o.id, 'claim')).body).toEqual(claimed);
    expect((await events(e, a)).length).toBe(mid);
    expect(await level(e, a, p)).toEqual({ amount: 10, reserved: 2, free: 8 });
  });

  it('PATCH changes fields, adds and deactivates items; deactivation releases the unshipped claim', async () => {
    const { a, w, p, e } = await setup(10);
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 4 }] })).body;
    const i1 = o.items[0].id;
    await act(e, a, o.id, 'claim');
    await act(e, a, o.id, 'ship', { items: [{ itemId: i1, quantity: 1 }] });
    expect(await level(e, a, p)).toEqual({ amount: 9, reserved: 3, free: 6 });

    const down = await call(e, a, 'PATCH', `/api/v1/outbound-orders/${o.id}`, { items: [{ id: i1, quantity: 2 }] }, 422);
    expect(down.body.error.code).toBe('INVALID_STATE');

    const before = (await events(e, a)).length;
    const patched = (
      await call(e, a, 'PATCH', `/api/v1/outbound-orders/${o.id}`, {
        statusId: 3,
        salesOrderId: 333,
        preferredDeliveryAt: '2024-03-01T10:00:00+02:00',
        items: [{ id: i1, isActive: false }, { productId: p, quantity: 1, reference: 'R', attachedToItemId: i1 }],
      }, 200)
    ).body;
    expectOrderShape(patched);
    expect(patched).toMatchObject({ statusId: 3, salesOrderId: 333, preferredDeliveryAt: '2024-03-01T08:00:00.000Z' });
    expect(patched.items).toEqual([
      expect.objectContaining({ id: i1, isActive: false, quantity: 4, quantityClaimed: 1, quantityShipped: 1 }),
      expect.objectContaining({ isActive: true, quantity: 1, quantityClaimed: 0, reference: 'R', attachedToItemId: i1 }),
    ]);
    expect(await level(e, a, p)).toEqual({ amount: 9, reserved: 0, free: 9 });
    const evs = (await events(e, a)).slice(before);
    expect(evs.map((x) => x.type)).toEqual(['outbound_order.updated', 'stock.changed']);
    expect(evs[0]).toMatchObject({ action: 'changed', data: { created: false, order: patched } });
    expect(evs[1].data).toMatchObject({ documentType: 'release', outboundOrderId: o.id, reservedDelta: -3, reserved: 0 });

    const bad = await call(e, a, 'PATCH', `/api/v1/outbound-orders/${o.id}`, { items: [{ id: patched.items[1].id, attachedToItemId: 999999 }] }, 404);
    expect(bad.body.error.code).toBe('NOT_FOUND');
  });

  it('refuses new claims at an inactive warehouse but still ships what was claimed there', async () => {
    const { a, w, p, e } = await setup(5);
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 2 }, { productId: p, quantity: 1 }] })).body;
    await act(e, a, o.id, 'claim', { items: [{ itemId: o.items[0].id, quantity: 2 }] });
    await call(e, a, 'PATCH', `/api/v1/warehouses/${w}`, { active: false }, 200);
    expect((await act(e, a, o.id, 'claim', undefined, 422)).body.error.code).toBe('INACTIVE_WAREHOUSE');
    await act(e, a, o.id, 'ship');
    expect(await level(e, a, p)).toEqual({ amount: 3, reserved: 0, free: 3 });
  });

  it("hides an order from another account's token", async () => {
    const { a, w, p, e } = await setup(5);
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 1 }] })).body;
    const b = await e.newAccount();
    for (const [method, suffix, body] of [['GET', '', undefined], ['PATCH', '', { statusId: 9 }], ['POST', '/claim', undefined], ['POST', '/ship', undefined]] as const) {
      const res = await call(e, b, method, `/api/v1/outbound-orders/${o.id}${suffix}`, body, 404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    expect((await call(e, b, 'GET', '/api/v1/outbound-orders', undefined, 200)).body.data).toEqual([]);
    expect((await order(e, b, { warehouseId: w }, 404)).body.error.code).toBe('NOT_FOUND');
    expect(await level(e, a, p)).toEqual({ amount: 5, reserved: 0, free: 5 });
  });

  it('keeps stock levels equal to the sum of movements through claims, shipments and releases', async () => {
    const { a, w, p, e } = await setup(20);
    const p2 = await product(e, a, { code: '2' });
    await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p2, quantity: 7 }] });
    const o = (await order(e, a, { warehouseId: w, items: [{ productId: p, quantity: 6 }, { productId: p2, quantity: 4 }, { productId: p, quantity: 3 }] })).body;
    const [i1, i2, i3] = o.items.map((i: any) => i.id);
    await act(e, a, o.id, 'claim', { items: [{ itemId: i1, quantity: 4 }, { itemId: i2, quantity: 4 }] });
    await act(e, a, o.id, 'ship', { items: [{ itemId: i1, quantity: 3 }, { itemId: i2, quantity: 1 }] });
    await act(e, a, o.id, 'claim');
    await call(e, a, 'PATCH', `/api/v1/outbound-orders/${o.id}`, { items: [{ id: i2, isActive: false }] }, 200);
    await act(e, a, o.id, 'ship', { items: [{ itemId: i3, quantity: 2 }] });
    await act(e, a, o.id, 'claim', undefined, 200);

    expect(await level(e, a, p)).toEqual({ amount: 15, reserved: 4, free: 11 });
    expect(await level(e, a, p2)).toEqual({ amount: 6, reserved: 0, free: 6 });
    const rows = await e.store.db
      .selectFrom('stock_levels as l')
      .leftJoin('movements as m', 'm.stock_level_id', 'l.id')
      .select(['l.id', 'l.amount', 'l.reserved'])
      .select((eb) => [eb.fn.sum<number>('m.amount_delta').as('amountSum'), eb.fn.sum<number>('m.reserved_delta').as('reservedSum')])
      .where('l.account_id', '=', a.id)
      .groupBy(['l.id', 'l.amount', 'l.reserved'])
      .execute();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(Number(r.amountSum)).toBe(Number(r.amount));
      expect(Number(r.reservedSum)).toBe(Number(r.reserved));
    }
    const docs = await e.store.db.selectFrom('documents').select(['type', 'source']).where('account_id', '=', a.id).where('source', '=', `outbound_order:${o.id}`).orderBy('id').execute();
    expect(docs.map((d) => d.type)).toEqual(['reserve', 'ship', 'reserve', 'release', 'ship']);
  });
});
