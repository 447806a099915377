/**
 * A CycleSoftware receiver written from seed 003 alone: nothing from src/ is used to verify, only to
 * set data up through the HTTP API.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received as Raw } from '../support/receiver.js';

const SECRET = 'cs-hash-secret-1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DATETIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

/** The seed's property tables, type for type. */
const ORDER: Record<string, string> = {
  outbound_order_id: 'integer', outbound_order_type_id: 'integer', outbound_order_status_id: 'integer',
  dealer_id: 'integer', account_id: 'integer', store_id: 'integer', created_at: 'datetime',
  datetime_preferred_delivery: '?datetime', sales_order_id: '?integer', order_reference_text: 'string',
  order_items: 'object[]',
};
const ORDER_ITEM: Record<string, string> = {
  outbound_order_item_id: 'integer', item_type_id: 'integer', is_active: 'boolean', barcode: 'string',
  quantity: 'integer', quantity_claimed: 'integer', quantity_shipped: 'integer', is_blocked_for_claiming: 'boolean',
  description: 'string', remark: 'string', reference: 'string', is_sold_to_customer: 'boolean',
  is_attached_to_outbound_item_id: '?integer', is_pooled_within_stores: 'boolean',
};
const STOCK_ITEM: Record<string, string> = {
  warehouse_stock_item_id: 'integer', warehouse_outbound_order_id: 'integer',
  warehouse_outbound_order_item_id: 'integer', warehouse_outbound_shipment_id: 'integer',
  warehouse_outbound_shipment_item_id: 'integer', warehouse_location: 'object', supplier_id: 'integer',
  article_id: 'string', barcode: 'string', battery_id: 'string', customer_id: 'integer', customer_order_id: 'integer',
  employee_first_name: 'string', employee_last_name: 'string', frame_id: 'string', is_assembled: 'boolean',
  is_shipped: 'boolean', is_delivered: 'boolean', key_id: 'string', lock_id: 'string', license_plate_number: 'string',
  order_reference_id: 'string', order_reference_text: 'string', labels: 'string[]', sub_order_items: 'object[]',
};
const LOCATION: Record<string, string> = { location: 'string', rack_name: 'string' };
const SUB_ITEM: Record<string, string> = {
  article_id: 'string', barcode: 'string', is_active: 'boolean', is_included: 'boolean', quantity: 'integer',
  quantity_claimed: 'integer', reference: 'string', remark: 'string',
};

function hasType(v: unknown, t: string): boolean {
  if (t.startsWith('?')) return v === null || hasType(v, t.slice(1));
  if (t === 'integer') return Number.isInteger(v);
  if (t === 'datetime') return typeof v === 'string' && DATETIME.test(v);
  if (t === 'object') return v !== null && typeof v === 'object' && !Array.isArray(v);
  if (t.endsWith('[]')) return Array.isArray(v) && v.every((x) => hasType(x, t.slice(0, -2)));
  return typeof v === t;
}

function checkTable(o: any, table: Record<string, string>, where: string): void {
  expect(Object.keys(o).sort(), where).toEqual(Object.keys(table).sort());
  for (const [k, t] of Object.entries(table)) expect(hasType(o[k], t), `${where}.${k} should be ${t}: ${JSON.stringify(o[k])}`).toBe(true);
}

/** Every message here is about an event made after this file was loaded. */
const LOADED_MS = Date.now();

/** The receiver's checks on every message: signature over the raw bytes, headers, envelope types. */
function receive(r: Raw, secret: string, accountNumber: number): any {
  expect(r.headers['x-cyclesoftware-signature']).toBe(createHmac('sha256', secret).update(r.raw).digest('hex'));
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const text = r.raw.toString('utf8');
  // A float as in the seed's `1657012068.444`.
  expect(text).toMatch(/"event_timestamp":\d{10}(\.\d{1,3})?[,}]/);
  const body = JSON.parse(text);
  expect(Object.keys(body).sort()).toEqual(['account_id', 'event_name', 'event_timestamp', 'id', 'payload']);
  expect(body.id).toMatch(UUID);
  expect(r.headers['x-cyclesoftware-delivery']).toBe(body.id);
  expect(r.headers['x-cyclesoftware-event']).toBe(body.event_name);
  expect(Number.isInteger(body.account_id)).toBe(true);
  expect(body.account_id).toBe(accountNumber);
  expect(typeof body.event_timestamp).toBe('number');
  // The event's time: after this file loaded, before the message arrived (orders of events, no tolerance).
  expect(body.event_timestamp).toBeGreaterThanOrEqual(LOADED_MS / 1000);
  expect(body.event_timestamp).toBeLessThanOrEqual(r.at / 1000);
  expect(hasType(body.payload, 'object')).toBe(true);
  return body;
}

function checkOrder(p: any): void {
  checkTable(p, ORDER, 'payload');
  p.order_items.forEach((i: any, n: number) => checkTable(i, ORDER_ITEM, `payload.order_items[${n}]`));
}

function checkStockItem(p: any): void {
  checkTable(p, STOCK_ITEM, 'payload');
  checkTable(p.warehouse_location, LOCATION, 'payload.warehouse_location');
  p.sub_order_items.forEach((s: any, n: number) => checkTable(s, SUB_ITEM, `payload.sub_order_items[${n}]`));
}

const subscribe = (e: TestEnv, a: TestAccount, body: object) =>
  call(e, a, 'POST', '/api/v1/webhooks', { format: 'cyclesoftware', secret: SECRET, ...body }, 201).then((r) => r.body);

async function deliveries(e: TestEnv, a: TestAccount, webhookId: string): Promise<any[]> {
  return (await call(e, a, 'GET', `/api/v1/webhooks/${webhookId}/deliveries`, undefined, 200)).body.data;
}

async function stockedProduct(e: TestEnv, a: TestAccount) {
  const w = await warehouse(e, a);
  const p = await product(e, a, { code: '8713568215084' });
  await post(e, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 5 }] });
  return { w, p };
}

describeEachDb(
  'cyclesoftware format (seed 003 receiver)',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        const n = rx.on(r.path).length;
        if (r.path.startsWith('/flaky')) return { status: n <= 2 ? 500 : 200 };
        if (r.path.startsWith('/down')) return { status: 500 };
        // Any 2xx is success.
        return { status: [200, 201, 202, 204][(n - 1) % 4] };
      });
    });
    afterAll(async () => rx.close());

    it('creating, updating, claiming and shipping an order each send warehouse_outbound_order.created_or_updated', async () => {
      const e = env();
      const a = await e.newAccount();
      const { w, p } = await stockedProduct(e, a);
      const sub = await subscribe(e, a, { url: rx.url('/orders') });
      expect(sub.secret).toBe(SECRET);
      const steps: Array<() => Promise<unknown>> = [];
      let order: any;
      steps.push(async () => {
        order = (await call(e, a, 'POST', '/api/v1/outbound-orders', {
          warehouseId: w, typeId: 1, statusId: 1, dealerId: 4807, orderAccountId: 4807, referenceText: '',
          items: [{ productId: p, quantity: 1, itemTypeId: 2 }],
        }, 201)).body;
      });
      steps.push(() => call(e, a, 'PATCH', `/api/v1/outbound-orders/${order.id}`, {
        preferredDeliveryAt: '2022-07-05 11:07:48', salesOrderId: 333, statusId: 2,
        items: [{ productId: p, quantity: 1, remark: 'bell', attachedToItemId: order.items[0].id }],
      }, 200));
      steps.push(() => call(e, a, 'POST', `/api/v1/outbound-orders/${order.id}/claim`, undefined, 200));
      steps.push(() => call(e, a, 'POST', `/api/v1/outbound-orders/${order.id}/ship`, undefined, 200));
      const bodies: any[] = [];
      for (const [n, step] of steps.entries()) {
        await step();
        await eventually(() => rx.on('/orders').length === n + 1);
        bodies.push(receive(rx.on('/orders')[n], SECRET, a.number));
      }
      for (const b of bodies) {
        expect(b.event_name).toBe('warehouse_outbound_order.created_or_updated');
        checkOrder(b.payload);
        expect(b.payload).toMatchObject({ outbound_order_id: order.id, outbound_order_type_id: 1, dealer_id: 4807, account_id: 4807, store_id: w, order_reference_text: '' });
      }
      expect(bodies[0].payload).toMatchObject({ outbound_order_status_id: 1, datetime_preferred_delivery: null, sales_order_id: null });
      expect(bodies[0].payload.order_items).toEqual([
        {
          outbound_order_item_id: order.items[0].id, item_type_id: 2, is_active: true, barcode: '8713568215084', quantity: 1, quantity_claimed: 0,
          quantity_shipped: 0, is_blocked_for_claiming: false, description: '', remark: '', reference: '', is_sold_to_customer: false,
          is_attached_to_outbound_item_id: null, is_pooled_within_stores: false,
        },
      ]);
      expect(bodies[1].payload).toMatchObject({ outbound_order_status_id: 2, datetime_preferred_delivery: '2022-07-05 11:07:48', sales_order_id: 333 });
      expect(bodies[1].payload.order_items[1]).toMatchObject({ remark: 'bell', is_attached_to_outbound_item_id: order.items[0].id });
      expect(bodies[2].payload.order_items.map((i: any) => [i.quantity_claimed, i.quantity_shipped])).toEqual([[1, 0], [1, 0]]);
      expect(bodies[3].payload.order_items.map((i: any) => [i.quantity_claimed, i.quantity_shipped])).toEqual([[1, 1], [1, 1]]);
      expect(bodies.every((b) => b.payload.created_at === bodies[0].payload.created_at)).toBe(true);
      expect(new Set(bodies.map((b) => b.id)).size).toBe(4);
      // 200, 201, 202 and 204 all count as delivered, at the first attempt; stock changes are not sent.
      const log = await eventually<any>(async () => {
        const d = await deliveries(e, a, sub.id);
        return d.every((x) => x.status === 'succeeded') && d;
      });
      expect(log.map((d: any) => [d.eventType, d.attempts])).toEqual(Array(4).fill(['outbound_order.updated', 1]));
      expect(log.map((d: any) => d.id).sort()).toEqual(bodies.map((b) => b.id).sort());
    });

    it('updating and releasing a stock item send the two stock item events; creating or deleting one sends nothing', async () => {
      const e = env();
      const a = await e.newAccount();
      const { w, p } = await stockedProduct(e, a);
      const order = (await call(e, a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 1 }] }, 201)).body;
      const sub = await subscribe(e, a, { url: rx.url('/items'), events: null });
      const item = (await call(e, a, 'POST', '/api/v1/stock-items', { frameId: '3232', batteryId: 'BAT22222' }, 201)).body;
      // Deliveries are written in the change's own transaction: none now means none ever.
      expect(await deliveries(e, a, sub.id)).toEqual([]);
      await call(e, a, 'PATCH', `/api/v1/stock-items/${item.id}`, {
        outboundOrderItemId: order.items[0].id, supplierId: 2113, articleId: '4961', barcode: '2000100281620', customerId: 1006,
        customerOrderId: 333, employeeFirstName: 'First', employeeLastName: 'Last', isAssembled: true, keyId: '2323', lockId: '2323',
        licensePlateNumber: 'xx-yy-zz', orderReferenceId: 'fvs12222', orderReferenceText: 'REF', location: { location: 'R-1-2', rackName: 'R' },
        labels: ['Label 1'], subOrderItems: [{ articleId: 'a3223', barcode: '883273232332', isActive: true, isIncluded: true, quantity: 2, quantityClaimed: 2, reference: 'ref-1', remark: 'remark-1' }],
      }, 200);
      await eventually(() => rx.on('/items').length === 1);
      await call(e, a, 'POST', `/api/v1/stock-items/${item.id}/release`, undefined, 200);
      await eventually(() => rx.on('/items').length === 2);
      const [updated, released] = rx.on('/items').map((r) => receive(r, SECRET, a.number));
      expect([updated.event_name, released.event_name]).toEqual(['warehouse_stock_item.updated', 'warehouse_stock_item.released_for_shipment']);
      for (const b of [updated, released]) checkStockItem(b.payload);
      expect(updated.payload).toEqual({
        warehouse_stock_item_id: item.id, warehouse_outbound_order_id: order.id, warehouse_outbound_order_item_id: order.items[0].id,
        warehouse_outbound_shipment_id: 0, warehouse_outbound_shipment_item_id: 0, article_id: '4961', barcode: '2000100281620',
        battery_id: 'BAT22222', customer_id: 1006, customer_order_id: 333, employee_first_name: 'First', employee_last_name: 'Last',
        frame_id: '3232', is_assembled: true, is_shipped: false, is_delivered: false, key_id: '2323', lock_id: '2323',
        license_plate_number: 'xx-yy-zz', order_reference_id: 'fvs12222', order_reference_text: 'REF',
        sub_order_items: [{ article_id: 'a3223', barcode: '883273232332', is_active: true, is_included: true, quantity: 2, quantity_claimed: 2, reference: 'ref-1', remark: 'remark-1' }],
        supplier_id: 2113, warehouse_location: { location: 'R-1-2', rack_name: 'R' }, labels: ['Label 1'],
      });
      expect(released.payload).toEqual(updated.payload);
      // Seed 003: "When a stock item is deleted no webhook will be delivered".
      await call(e, a, 'DELETE', `/api/v1/stock-items/${item.id}`, undefined, 204);
      expect((await deliveries(e, a, sub.id)).map((d) => d.eventType).sort()).toEqual(['stock_item.released_for_shipment', 'stock_item.updated']);
      expect(rx.on('/items')).toHaveLength(2);
    });

    it('shipping an order marks the stock items of the shipped order items shipped, each with warehouse_stock_item.updated', async () => {
      const e = env();
      const a = await e.newAccount();
      const { w, p } = await stockedProduct(e, a);
      const order = (await call(e, a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 2 }, { productId: p, quantity: 1 }] }, 201)).body;
      const [itemA, itemB] = order.items.map((i: any) => i.id);
      const unit = async (link: object) => (await call(e, a, 'POST', '/api/v1/stock-items', link, 201)).body.id as number;
      // Three bikes for item A (which ships 2), one for item B, one tied to the order only.
      const s1 = await unit({ outboundOrderItemId: itemA, frameId: 'F1' });
      const s2 = await unit({ outboundOrderItemId: itemA, frameId: 'F2' });
      const s3 = await unit({ outboundOrderItemId: itemA, frameId: 'F3' });
      const s4 = await unit({ outboundOrderItemId: itemB, frameId: 'F4' });
      const s5 = await unit({ outboundOrderId: order.id, frameId: 'F5' });
      await call(e, a, 'POST', `/api/v1/stock-items/${s2}/release`, undefined, 200);
      await call(e, a, 'POST', `/api/v1/outbound-orders/${order.id}/claim`, undefined, 200);
      const sub = await subscribe(e, a, { url: rx.url('/shipped'), events: ['stock_item.updated'] });

      // First shipment: one unit of item A; the bike released for shipment goes first.
      await call(e, a, 'POST', `/api/v1/outbound-orders/${order.id}/ship`, { items: [{ itemId: itemA, quantity: 1 }] }, 200);
      await eventually(() => rx.on('/shipped').length === 1);
      const [first] = rx.on('/shipped').map((r) => receive(r, SECRET, a.number));
      expect(first.event_name).toBe('warehouse_stock_item.updated');
      checkStockItem(first.payload);
      expect(first.payload).toMatchObject({
        warehouse_stock_item_id: s2, warehouse_outbound_order_id: order.id, warehouse_outbound_order_item_id: itemA, is_shipped: true, frame_id: 'F2',
      });
      const shipment1 = first.payload.warehouse_outbound_shipment_id;
      expect(shipment1).toBeGreaterThan(0);
      expect(first.payload.warehouse_outbound_shipment_item_id).toBeGreaterThan(0);

      // Second shipment: everything left, i.e. one more of A and the one of B.
      await call(e, a, 'POST', `/api/v1/outbound-orders/${order.id}/ship`, undefined, 200);
      // Deliveries are written in the shipment's own transaction: the log says all that will be sent.
      expect(await deliveries(e, a, sub.id)).toHaveLength(3);
      await eventually(() => rx.on('/shipped').length === 3);
      const second = rx.on('/shipped').slice(1).map((r) => receive(r, SECRET, a.number).payload);
      second.forEach(checkStockItem);
      expect(second.map((x) => [x.warehouse_stock_item_id, x.warehouse_outbound_order_item_id, x.is_shipped]).sort()).toEqual(
        [[s1, itemA, true], [s4, itemB, true]].sort(),
      );
      const shipment2 = second[0].warehouse_outbound_shipment_id;
      expect(second[1].warehouse_outbound_shipment_id).toBe(shipment2);
      expect(shipment2).toBeGreaterThan(0);
      expect(shipment2).not.toBe(shipment1);
      // One shipment item per order item shipped: A's and B's differ, and differ from the first shipment's.
      const shipmentItems = [first.payload, ...second].map((x) => x.warehouse_outbound_shipment_item_id);
      expect(new Set(shipmentItems).size).toBe(3);
      expect(shipmentItems.every((n) => Number.isInteger(n) && n > 0)).toBe(true);

      // The bike beyond the shipped quantity and the one tied to the order only stay unshipped.
      for (const id of [s3, s5]) {
        expect((await call(e, a, 'GET', `/api/v1/stock-items/${id}`, undefined, 200)).body).toMatchObject({ isShipped: false, outboundShipmentId: 0, outboundShipmentItemId: 0 });
      }
      expect((await call(e, a, 'GET', `/api/v1/stock-items/${s4}`, undefined, 200)).body).toMatchObject({ isShipped: true, outboundShipmentId: shipment2 });
      // Shipping again ships nothing and sends nothing.
      await call(e, a, 'POST', `/api/v1/outbound-orders/${order.id}/ship`, undefined, 200);
      const all = await deliveries(e, a, sub.id);
      expect(all).toHaveLength(3);
      expect(all.every((d) => d.eventType === 'stock_item.updated')).toBe(true);
    });

    it('retries a non-2xx answer with the same id and bytes, then succeeds; gives up after the last retry', async () => {
      const e = env();
      const a = await e.newAccount();
      const w = await warehouse(e, a);
      const flaky = await subscribe(e, a, { url: rx.url('/flaky'), retrySchedule: [0.1, 0.1] });
      const down = await subscribe(e, a, { url: rx.url('/down'), retrySchedule: [0.1] });
      await call(e, a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [] }, 201);
      const done = await eventually<any>(async () => {
        const ds = [(await deliveries(e, a, flaky.id))[0], (await deliveries(e, a, down.id))[0]];
        return ds.every((d) => d && d.status !== 'pending') && ds;
      });
      expect(done.map((d: any) => [d.status, d.attempts])).toEqual([['succeeded', 3], ['failed', 2]]);
      // Each attempt's answer was read before its result was written: every request has arrived.
      for (const [path, n] of [['/flaky', 3], ['/down', 2]] as const) {
        const got = rx.on(path);
        expect(got).toHaveLength(n);
        expect(new Set(got.map((r) => r.raw.toString('hex'))).size).toBe(1);
        for (const r of got) expect(receive(r, SECRET, a.number).event_name).toBe('warehouse_outbound_order.created_or_updated');
      }
    });

    it('defaults to the Standard schedule with jitter and generates a secret when none is given', async () => {
      const e = env();
      const a = await e.newAccount();
      const w = await warehouse(e, a);
      const sub = (await call(e, a, 'POST', '/api/v1/webhooks', { format: 'cyclesoftware', url: rx.url('/down-default') }, 201)).body;
      expect(sub.retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
      expect(typeof sub.secret).toBe('string');
      await call(e, a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [] }, 201);
      const list = await eventually<any>(async () => {
        const d = (await deliveries(e, a, sub.id))[0];
        return d && d.attempts === 1 && d.nextAttemptAt && d;
      });
      const d = (await call(e, a, 'GET', `/api/v1/deliveries/${list.id}`, undefined, 200)).body;
      receive(rx.on('/down-default')[0], sub.secret, a.number);
      const wait = Date.parse(d.nextAttemptAt) - Date.parse(d.attemptLog[0].startedAt) - d.attemptLog[0].durationMs;
      expect(wait).toBeGreaterThanOrEqual(4400);
      expect(wait).toBeLessThanOrEqual(5600);
      await call(e, a, 'DELETE', `/api/v1/webhooks/${sub.id}`, undefined, 204);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
