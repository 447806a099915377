import { expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call, levels, warehouse } from '../support/fixtures.js';
import { documents, listening, requests, source, unmatched } from './helpers.js';
import { metakocka, send } from './senders.js';

/*
 * A MetaKocka ERP as a source, its requests written from MetaKocka's webhook document (seed
 * 000_7b98ce3caed45c8a.txt): `warehouse_product_stock_update` with a stock_list row per active
 * warehouse and per lot / expiration date / serial number / micro-location, amounts as strings,
 * X-MetaKocka-Event / -Id / -Signature = Base64(HmacSHA1(client_secret, body)); success only when
 * the answer is JSON with "status": "ok"; otherwise two more tries 60 s apart, the same request.
 */

const SECRET = 'mk-client-secret';

const row = (warehouseId: string, amount: string, extra: Record<string, string> = {}) => ({
  warehouse_id: warehouseId,
  mk_id: '1600094857',
  count_code: 'PA-4020',
  code: '150974832263',
  title: '1,0 mm Düse für Mini HVLP Lackierpistole Spritzpistole Düsen set Nadel Rostfrei',
  amount,
  reserved_amount: '0',
  free_amount: amount,
  unit: 'kos',
  ...extra,
});

const update = (rows: object[], time = '0') => ({ opr_code: '0', opr_time_ms: time, stock_list_count: String(rows.length), stock_list: rows });

async function erp(env: TestEnv) {
  const a = await env.newAccount();
  const main = await warehouse(env, a, 'Main', { code: '1600303267' });
  const p = (await call(env, a, 'POST', '/api/v1/products', { title: 'Düse 1,0 mm', sku: 'PA-4020', code: 'X' }, 201)).body.id as number;
  const s = await source(env, a, { name: 'MetaKocka', format: 'metakocka', secret: SECRET });
  return { a, main, p, s };
}

describeEachDb('a MetaKocka source', (env) => {
  it('an update with two lots books both keys in one count document; the answer is {"status":"ok"}', async () => {
    const { a, main, p, s } = await erp(env());
    const base = await listening(env());
    const body = update([
      row('1600303267', '12', { lot_number: 'L-2026-01', expiration_date: '2027-01-31' }),
      row('1600303267', '3.5', { lot_number: 'L-2026-02', expiration_date: '2027-06-30' }),
    ]);
    const res = await send(base, metakocka(s.path, SECRET, body, 'mk-event-1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    const got = (await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.lot, l.expiry, l.amount]).sort();
    expect(got).toEqual([
      [main, 'L-2026-01', '2027-01-31', 12],
      [main, 'L-2026-02', '2027-06-30', 3.5],
    ]);
    const docs = (await documents(env(), a)).filter((d) => d.type === 'count');
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ warehouseId: main, source: `source:${s.id}` });
    expect(docs[0].lines).toHaveLength(2);
    const log = await requests(env(), a, s.id);
    expect(log[0]).toMatchObject({ deliveryKey: 'mk-event-1', verified: true, outcome: 'booked', answer: { status: 200, body: '{"status":"ok"}' } });
    expect(log[0].headers['x-metakocka-event']).toBe('warehouse_product_stock_update');
  });

  it("MetaKocka's retry (same X-MetaKocka-Id) books nothing twice, even with a level moved in between", async () => {
    const { a, main, p, s } = await erp(env());
    const base = await listening(env());
    const req = metakocka(s.path, SECRET, update([row('1600303267', '9')]), 'mk-event-retry');
    expect(JSON.parse((await send(base, req)).body)).toEqual({ status: 'ok' });
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'sale', warehouseId: main, lines: [{ productId: p, quantity: 2 }] }, 201);
    // The retry still answers ok (else MetaKocka tries again), and does not count 9 again.
    expect(JSON.parse((await send(base, req)).body)).toEqual({ status: 'ok' });
    expect((await levels(env(), a, `?productId=${p}`))[0].amount).toBe(7);
    expect((await requests(env(), a, s.id)).map((r) => r.outcome)).toEqual(['duplicate', 'booked']);
  });

  it('a row whose expiry is not a calendar date is kept, not booked; a very long X-MetaKocka-Id still dedupes', async () => {
    const { a, main, p, s } = await erp(env());
    const base = await listening(env());
    const longId = 'mk-'.padEnd(3000, 'x');
    const req = metakocka(s.path, SECRET, update([row('1600303267', '2', { lot_number: 'A', expiration_date: '31.01.2027' }), row('1600303267', '6', { lot_number: 'B' })]), longId);
    expect(JSON.parse((await send(base, req)).body)).toEqual({ status: 'ok' });
    expect(JSON.parse((await send(base, req)).body)).toEqual({ status: 'ok' });
    expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.lot, l.amount])).toEqual([[main, 'B', 6]]);
    const kept = await unmatched(env(), a, s.id);
    expect(kept.map((k) => k.reason)).toEqual(['expiry "31.01.2027" is not a calendar date (YYYY-MM-DD)']);
    const log = await requests(env(), a, s.id);
    expect(log.map((r) => r.outcome)).toEqual(['duplicate', 'booked']);
    expect(log[0].deliveryKey).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('a wrong signature is answered 401 without "status":"ok" and books nothing', async () => {
    const { a, p, s } = await erp(env());
    const base = await listening(env());
    const req = metakocka(s.path, 'another-secret', update([row('1600303267', '100')]));
    const res = await send(base, req);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).status).not.toBe('ok');
    expect(await levels(env(), a, `?productId=${p}`)).toEqual([]);
    expect(await documents(env(), a)).toEqual([]);
    expect((await requests(env(), a, s.id))[0]).toMatchObject({ verified: false, verifyReason: 'X-MetaKocka-Signature does not match', outcome: 'refused' });
  });

  it('a row for a warehouse nothing maps is kept unmatched with its raw row, and booked when the mapping is added', async () => {
    const { a, main, p, s } = await erp(env());
    const base = await listening(env());
    const second = await warehouse(env(), a, 'Outlet');
    // The seed's own example: the same product in two warehouses, zero stock included.
    const res = await send(base, metakocka(s.path, SECRET, update([row('1600303267', '0'), row('1600004367', '4')])));
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    const kept = await unmatched(env(), a, s.id);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ product: '1600094857', warehouse: '1600004367', amount: 4, reason: 'warehouse 1600004367 maps to no warehouse' });
    expect(kept[0].row).toMatchObject({ warehouse_id: '1600004367', amount: '4', count_code: 'PA-4020' });
    const health = (await call(env(), a, 'GET', `/api/v1/sources/${s.id}`, undefined, 200)).body.health;
    expect(health).toEqual({ lastRequest: { id: (await requests(env(), a, s.id))[0].id, receivedAt: expect.any(String), outcome: 'booked' }, unmatched: 1 });
    expect((await levels(env(), a, `?productId=${p}`)).filter((l) => l.warehouseId === second)).toEqual([]);
    const booked = (await call(env(), a, 'POST', `/api/v1/sources/${s.id}/mappings`, { kind: 'warehouse', externalId: '1600004367', targetId: second }, 200)).body;
    expect(booked).toMatchObject({ booked: 1, unmatched: 0, stale: [] });
    expect(await unmatched(env(), a, s.id)).toEqual([]);
    expect((await call(env(), a, 'GET', '/api/v1/sources', undefined, 200)).body.data[0].health.unmatched).toBe(0);
    const byWarehouse = Object.fromEntries((await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.amount]));
    expect(byWarehouse[second]).toBe(4);
    expect(byWarehouse[main] ?? 0).toBe(0);
    expect((await call(env(), a, 'GET', `/api/v1/sources/${s.id}/mappings`, undefined, 200)).body.data).toMatchObject([{ kind: 'warehouse', externalId: '1600004367', targetId: second }]);
  });

  it('a product nothing maps is never created unless the source allows it', async () => {
    const { a, s } = await erp(env());
    const base = await listening(env());
    const other = { ...row('1600303267', '5'), mk_id: '77', count_code: 'NEW-1', code: 'N1', title: 'Neu' };
    await send(base, metakocka(s.path, SECRET, update([other])));
    expect((await call(env(), a, 'GET', '/api/v1/products', undefined, 200)).body.data.map((x: any) => x.sku)).toEqual(['PA-4020']);
    expect((await unmatched(env(), a, s.id))[0].reason).toBe('product 77 maps to no product (mapping: sku)');
    // Retrying finds nothing new yet: the row stays, nothing is booked.
    expect((await call(env(), a, 'POST', `/api/v1/sources/${s.id}/unmatched/retry`, undefined, 200)).body).toMatchObject({ booked: 0, unmatched: 1, documentIds: [] });
    expect(await unmatched(env(), a, s.id)).toHaveLength(1);
    await call(env(), a, 'PATCH', `/api/v1/sources/${s.id}`, { allowCreate: true }, 200);
    await send(base, metakocka(s.path, SECRET, update([other])));
    const created = (await call(env(), a, 'GET', '/api/v1/products', undefined, 200)).body.data.find((x: any) => x.sku === 'NEW-1');
    expect(created).toMatchObject({ code: 'N1', title: 'Neu' });
    expect((await levels(env(), a, `?productId=${created.id}`))[0].amount).toBe(5);
    // The first row is still kept; a retry now finds the product by its SKU and books it (5 again).
    const retried = (await call(env(), a, 'POST', `/api/v1/sources/${s.id}/unmatched/retry`, undefined, 200)).body;
    expect(retried).toMatchObject({ booked: 1, unmatched: 0, createdProductIds: [] });
    expect(await unmatched(env(), a, s.id)).toEqual([]);
  });
});
