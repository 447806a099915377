import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call, levels, warehouse } from '../support/fixtures.js';
import { documents, listening, requests, source } from './helpers.js';
import { cyclesoftware, native, send } from './senders.js';

/*
 * CycleSoftware as a source, from its webhook document (seed 003_363462edb958dc29.txt): the
 * envelope {id, account_id, event_name, event_timestamp, payload}, X-CycleSoftware-Delivery (= id),
 * X-CycleSoftware-Event, X-CycleSoftware-Signature; `warehouse_stock_item.updated` and
 * `warehouse_stock_item.released_for_shipment` with the serialized item's properties (frame,
 * battery, key, lock ids, location...). And another stockhook as a source: its native
 * `stock.changed` signed with Standard Webhooks headers.
 */

const HASH_SECRET = 'cs-hash-secret';
const WHSEC = 'whsec_' + Buffer.from('upstream-stockhook-signing-key-32b').toString('base64');

const item = (extra: object = {}) => ({
  warehouse_stock_item_id: 285,
  warehouse_outbound_order_id: 121212,
  warehouse_outbound_order_item_id: 333233,
  warehouse_outbound_shipment_id: 0,
  warehouse_outbound_shipment_item_id: 0,
  article_id: '4961',
  barcode: '2000100281620',
  battery_id: 'BAT22222',
  customer_id: 1006,
  customer_order_id: 333,
  employee_first_name: 'First',
  employee_last_name: 'Last',
  frame_id: '3232',
  is_assembled: true,
  is_shipped: false,
  is_delivered: false,
  key_id: '2323',
  lock_id: '2323',
  license_plate_number: 'xx-yy-zz',
  order_reference_id: 'fvs12222',
  order_reference_text: 'REF',
  sub_order_items: [{ article_id: 'a3223', barcode: '883273232332', is_active: true, is_included: true, quantity: 2, quantity_claimed: 2, reference: 'ref-1', remark: 'remark-1' }],
  supplier_id: 2113,
  warehouse_location: { location: 'R-1-2', rack_name: 'R' },
  labels: ['Label 1'],
  ...extra,
});

const envelope = (event: string, ts: number, payload: object) => ({ id: randomUUID(), account_id: 4743, event_name: event, event_timestamp: ts, payload });

async function stockItems(env: TestEnv, a: any): Promise<any[]> {
  return (await call(env, a, 'GET', '/api/v1/stock-items', undefined, 200)).body.data;
}

describeEachDb('CycleSoftware and native sources', (env) => {
  it('warehouse_stock_item.updated mirrors the serialized item; released_for_shipment releases it; an older update is skipped', async () => {
    const a = await env().newAccount();
    const s = await source(env(), a, { name: 'CycleSoftware', format: 'cyclesoftware', secret: HASH_SECRET });
    const base = await listening(env());
    const first = cyclesoftware(s.path, HASH_SECRET, envelope('warehouse_stock_item.updated', 1657012068.444, item()));
    expect((await send(base, first)).status).toBe(200);
    expect((await send(base, first)).status).toBe(200); // its retry
    let items = await stockItems(env(), a);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      frameId: '3232', batteryId: 'BAT22222', keyId: '2323', lockId: '2323', isAssembled: true, isReleasedForShipment: false,
      location: { location: 'R-1-2', rackName: 'R' }, labels: ['Label 1'], supplierId: 2113,
      // CycleSoftware's own order ids name none of stockhook's orders: not linked.
      outboundOrderId: 0, outboundOrderItemId: 0,
    });
    expect(items[0].subOrderItems).toEqual([{ articleId: 'a3223', barcode: '883273232332', isActive: true, isIncluded: true, quantity: 2, quantityClaimed: 2, reference: 'ref-1', remark: 'remark-1' }]);
    await send(base, cyclesoftware(s.path, HASH_SECRET, envelope('warehouse_stock_item.released_for_shipment', 1657012100, item({ warehouse_location: { location: 'DOCK', rack_name: 'D' } }))));
    const late = cyclesoftware(s.path, HASH_SECRET, envelope('warehouse_stock_item.updated', 1657012090, item({ frame_id: 'OLD' })));
    expect((await send(base, late)).status).toBe(200);
    items = await stockItems(env(), a);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ frameId: '3232', isReleasedForShipment: true, location: { location: 'DOCK', rackName: 'D' } });
    expect((await requests(env(), a, s.id)).map((r) => r.outcome)).toEqual(['stale', 'booked', 'duplicate', 'booked']);
    // A bad signature: 401, nothing changed.
    const forged = cyclesoftware(s.path, 'wrong', envelope('warehouse_stock_item.updated', 1657019999, item({ frame_id: 'FORGED' })));
    expect((await send(base, forged)).status).toBe(401);
    expect((await stockItems(env(), a))[0].frameId).toBe('3232');
  });

  it("another stockhook's stock.changed books its amount; an older version of the key is skipped", async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a, 'Mirror', { code: '9' });
    const p = (await call(env(), a, 'POST', '/api/v1/products', { title: 'Widget', code: '3' }, 201)).body.id as number;
    const s = await source(env(), a, { name: 'HQ stockhook', format: 'native', secret: WHSEC, mapping: 'code' });
    const base = await listening(env());
    const changed = (amount: number, version: number) =>
      native(s.path, WHSEC, { id: `msg_${randomUUID()}`, type: 'stock.changed', data: { warehouseId: 9, productId: 3, size: null, lot: null, expiry: null, serial: null, location: null, amount, reserved: 0, free: amount, amountDelta: 1, reservedDelta: 0, version, documentId: 1, documentType: 'receipt', reversal: false, reference: null } });
    expect((await send(base, changed(11, 4))).status).toBe(204);
    expect((await send(base, changed(10, 3))).status).toBe(204);
    expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.amount])).toEqual([[w, 11]]);
    expect((await requests(env(), a, s.id)).map((r) => r.outcome)).toEqual(['stale', 'booked']);
    expect((await documents(env(), a)).filter((d) => d.type === 'count')).toHaveLength(1);
    const bad = changed(0, 5);
    const res = await send(base, { ...bad, headers: { ...bad.headers, 'webhook-signature': 'v1,AAAA' } });
    expect(res.status).toBe(401);
    expect((await levels(env(), a, `?productId=${p}`))[0].amount).toBe(11);
  });
});
