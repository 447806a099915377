import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEnv, describeEachDb, type DbName, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events, levels, post, product, warehouse } from '../support/fixtures.js';

/*
 * Errors that say what to do: a refusal for want of stock names the key asked for and where the
 * stock is; a field with a fixed set of values lists them; a query parameter a route does not take
 * is refused naming it; a private webhook target names the setting that allows it.
 */

const NO_PARTS = 'no size, lot, expiry, serial or location';
const plainKey = (warehouseId: number, productId: number) => ({ warehouseId, productId, size: null, lot: null, expiry: null, serial: null, location: null });
const at = (location: string, extra: Record<string, string | null> = {}) => ({ size: null, lot: null, expiry: null, serial: null, location, ...extra });

describeEachDb('INSUFFICIENT_STOCK names the key asked for and the free stock at other keys', (env) => {
  let a: TestAccount;
  let w: number;
  let p: number;

  beforeAll(async () => {
    a = await env().newAccount();
    w = await warehouse(env(), a, 'Main');
    p = await product(env(), a, { sku: 'W-1' });
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 187, location: 'A-01-1' }, { productId: p, quantity: 12, location: 'B-02-3', lot: 'L7' }] });
    await post(env(), a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, quantity: 2, location: 'B-02-3', lot: 'L7' }] });
  });

  it('a sale without the location of a product kept by location: the exact message and details, and nothing changed', async () => {
    const before = { levels: await levels(env(), a), events: await events(env(), a), documents: (await call(env(), a, 'GET', '/api/v1/documents', undefined, 200)).body.data };
    const res = await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 5 }] }, 422);
    expect(res.body.error).toEqual({
      code: 'INSUFFICIENT_STOCK',
      message: `Not enough free stock of W-1 at warehouse Main (${NO_PARTS}): asked 5, free 0; free at other keys of this warehouse: location A-01-1: 187; lot L7, location B-02-3: 10`,
      details: {
        key: plainKey(w, p),
        amountDelta: -5,
        reservedDelta: 0,
        asked: 5,
        free: 0,
        otherKeys: [
          { ...at('A-01-1'), free: 187 },
          { ...at('B-02-3', { lot: 'L7' }), free: 10 },
        ],
        otherKeysNotListed: 0,
      },
    });
    // A refused document changes nothing: no level, no event, no document.
    expect(await levels(env(), a)).toEqual(before.levels);
    expect(await events(env(), a)).toEqual(before.events);
    expect((await call(env(), a, 'GET', '/api/v1/documents', undefined, 200)).body.data).toEqual(before.documents);
  });

  it('at a location that holds too little: what it holds, and the other keys without it', async () => {
    const res = await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 11, location: 'B-02-3', lot: 'L7' }] }, 422);
    expect(res.body.error.message).toBe(
      'Not enough free stock of W-1 at warehouse Main (lot L7, location B-02-3): asked 11, free 10; free at other keys of this warehouse: location A-01-1: 187',
    );
    expect(res.body.error.details).toMatchObject({ key: { ...plainKey(w, p), lot: 'L7', location: 'B-02-3' }, asked: 11, free: 10, otherKeys: [{ ...at('A-01-1'), free: 187 }], otherKeysNotListed: 0 });
  });

  it("a document's lines at one key add up in `asked`, though the first of them fitted", async () => {
    const lines = [
      { productId: p, quantity: 100, location: 'A-01-1' },
      { productId: p, quantity: 100, location: 'A-01-1' },
    ];
    const res = await post(env(), a, { type: 'sale', warehouseId: w, lines }, 422);
    expect(res.body.error.message).toBe(
      'Not enough free stock of W-1 at warehouse Main (location A-01-1): asked 200, free 187; free at other keys of this warehouse: lot L7, location B-02-3: 10',
    );
    expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.location, l.amount, l.reserved])).toEqual([
      ['A-01-1', 187, 0],
      ['B-02-3', 12, 2],
    ]);
  });

  it('a reservation is refused the same way (it takes free stock)', async () => {
    const res = await post(env(), a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, quantity: 3 }] }, 422);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_STOCK', details: { asked: 3, free: 0, reservedDelta: 3, amountDelta: 0 } });
    expect(res.body.error.message).toMatch(/^Not enough free stock of W-1 at warehouse Main \(no size, lot, expiry, serial or location\): asked 3, free 0; free at other keys/);
  });

  it('a release beyond the reservation: INSUFFICIENT_RESERVED names the reserved stock', async () => {
    const res = await post(env(), a, { type: 'release', warehouseId: w, lines: [{ productId: p, quantity: 1, location: 'A-01-1' }] }, 422);
    expect(res.body.error).toEqual({
      code: 'INSUFFICIENT_RESERVED',
      message: 'Not enough reserved stock of W-1 at warehouse Main (location A-01-1): asked 1, reserved 0; reserved at other keys of this warehouse: lot L7, location B-02-3: 2',
      details: {
        key: { ...plainKey(w, p), location: 'A-01-1' },
        amountDelta: 0,
        reservedDelta: -1,
        asked: 1,
        reserved: 0,
        otherKeys: [{ ...at('B-02-3', { lot: 'L7' }), reserved: 2 }],
        otherKeysNotListed: 0,
      },
    });
  });

  it('only the same warehouse counts; no stock anywhere else says so', async () => {
    const other = await warehouse(env(), a, 'Annex');
    const res = await post(env(), a, { type: 'sale', warehouseId: other, lines: [{ productId: p, quantity: 1 }] }, 422);
    expect(res.body.error.message).toBe(`Not enough free stock of W-1 at warehouse Annex (${NO_PARTS}): asked 1, free 0; no free stock at other keys of this warehouse`);
    expect(res.body.error.details).toMatchObject({ otherKeys: [], otherKeysNotListed: 0 });
  });

  it('at most 10 other keys are listed, most free first, and the rest counted; a product without SKU is named by id', async () => {
    const q = await product(env(), a, { sku: '', code: 'S-1' });
    const lines = Array.from({ length: 13 }, (_, i) => ({ productId: q, quantity: i + 1, serial: `SN-${String(i + 1).padStart(2, '0')}` }));
    await post(env(), a, { type: 'receipt', warehouseId: w, lines });
    const res = await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: q, quantity: 1, serial: 'SN-99' }] }, 422);
    const listed = [13, 12, 11, 10, 9, 8, 7, 6, 5, 4].map((n) => `serial SN-${String(n).padStart(2, '0')}: ${n}`);
    expect(res.body.error.message).toBe(
      `Not enough free stock of product ${q} at warehouse Main (serial SN-99): asked 1, free 0; free at other keys of this warehouse: ${listed.join('; ')}; and 3 more keys`,
    );
    expect(res.body.error.details.otherKeys).toHaveLength(10);
    expect(res.body.error.details.otherKeys[0]).toEqual({ size: null, lot: null, expiry: null, serial: 'SN-13', location: null, free: 13 });
    expect(res.body.error.details.otherKeysNotListed).toBe(3);
  });

  it('an outbound order (always on the plain key) claiming stock kept by location is explained too', async () => {
    const o = (await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 5 }] }, 201)).body;
    const res = await call(env(), a, 'POST', `/api/v1/outbound-orders/${o.id}/claim`, undefined, 422);
    expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_STOCK', details: { key: plainKey(w, p), asked: 5, free: 0 } });
    expect(res.body.error.message).toBe(
      `Not enough free stock of W-1 at warehouse Main (${NO_PARTS}): asked 5, free 0; free at other keys of this warehouse: location A-01-1: 187; lot L7, location B-02-3: 10`,
    );
  });
});

describeEachDb('validation errors list the allowed values; unknown query parameters are refused', (env) => {
  let a: TestAccount;
  beforeAll(async () => {
    a = await env().newAccount();
  });

  it('?type=shipped (not a type) lists the document types, once', async () => {
    const res = await call(env(), a, 'GET', '/api/v1/documents?type=shipped', undefined, 400);
    const message = 'querystring.type must be one of: receipt, sale, return, transfer, writeoff, count, reserve, release, ship';
    expect(res.body.error).toEqual({
      code: 'VALIDATION_FAILED',
      message,
      details: { fields: [{ field: 'querystring.type', message: 'must be one of: receipt, sale, return, transfer, writeoff, count, reserve, release, ship' }] },
    });
    expect(JSON.stringify(res.body)).not.toContain('must be equal to constant');
  });

  it('a body field with a fixed set of values lists them too (a document type, an account plan)', async () => {
    const w = await warehouse(env(), a);
    const doc = await call(env(), a, 'POST', '/api/v1/documents', { type: 'ship', warehouseId: w, lines: [] }, 400);
    expect(doc.body.error.message).toBe('body.type must be one of: receipt, sale, return, transfer, writeoff, count, reserve, release');
    const account = await env().app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { authorization: `Bearer ${env().adminToken}` }, payload: { name: 'X', plan: 'gold' } });
    expect([account.statusCode, account.json().error.message]).toEqual([400, 'body.plan must be one of: free, paid']);
  });

  it('an unknown query parameter is 400 UNKNOWN_PARAMETER naming it and what the route takes', async () => {
    const res = await call(env(), a, 'GET', '/api/v1/products?q=zzz', undefined, 400);
    expect(res.body.error).toEqual({
      code: 'UNKNOWN_PARAMETER',
      message: 'unknown query parameter q; GET /api/v1/products takes: supplierProductId',
      details: { parameters: ['q'], allowed: ['supplierProductId'] },
    });
    const typo = await call(env(), a, 'GET', '/api/v1/stock?productID=1&warehouse=2', undefined, 400);
    expect(typo.body.error.code).toBe('UNKNOWN_PARAMETER');
    expect(typo.body.error.message).toMatch(/^unknown query parameters productID \(did you mean productId\?\), warehouse; GET \/api\/v1\/stock takes: productId, warehouseId, /);
    expect(typo.body.error.details.parameters).toEqual(['productID', 'warehouse']);
  });

  it('a route without parameters refuses any, a known one still works', async () => {
    const health = await env().app.inject({ method: 'GET', url: '/healthz?verbose=1' });
    expect([health.statusCode, health.json().error]).toEqual([
      400,
      { code: 'UNKNOWN_PARAMETER', message: 'unknown query parameter verbose; GET /healthz takes no query parameters', details: { parameters: ['verbose'], allowed: [] } },
    ]);
    const w = await warehouse(env(), a);
    const one = await call(env(), a, 'GET', `/api/v1/warehouses/${w}?expand=all`, undefined, 400);
    expect(one.body.error.message).toBe('unknown query parameter expand; GET /api/v1/warehouses/:id takes no query parameters');
    expect((await call(env(), a, 'GET', `/api/v1/stock?warehouseId=${w}&limit=5`, undefined, 200)).body.data).toEqual([]);
    expect((await call(env(), a, 'GET', '/api/v1/documents?type=sale', undefined, 200)).body.data).toEqual([]);
  });

  it('authentication comes first: an unknown parameter without a token is 401', async () => {
    const res = await env().app.inject({ method: 'GET', url: '/api/v1/products?q=zzz' });
    expect(res.statusCode).toBe(401);
  });

  it("the Kladana routes take Kladana's parameters, and its general ones, as Kladana does", async () => {
    const auth = a.auth;
    const list = await env().app.inject({ method: 'GET', url: '/api/remap/1.2/entity/webhookstock?limit=10&offset=0&expand=authorApplication&filter=enabled%3Dtrue&order=url', headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().meta).toMatchObject({ limit: 10, offset: 0, size: 0 });
    for (const q of ['fromDate=2022-09-24%2019:14:32', 'changedSince=2022-09-24%2019:14:32', 'fromDate=2022-09-24%2019:14:32&requestId=640569eb-522d-427a-b07e-fa757c5d4217&filter=x']) {
      const all = await env().app.inject({ method: 'GET', url: `/api/remap/1.2/report/stock/all/current?${q}`, headers: auth });
      expect([q, all.statusCode]).toEqual([q, 200]);
      const byStore = await env().app.inject({ method: 'GET', url: `/api/remap/1.2/report/stock/bystore/current?${q}`, headers: auth });
      expect([q, byStore.statusCode]).toEqual([q, 200]);
    }
  });
});

const databases = inject('databases') as DbName[];

describe('TARGET_NOT_ALLOWED names STOCKHOOK_ALLOW_PRIVATE_TARGETS', () => {
  let env: TestEnv & { close(): Promise<void> };
  beforeAll(async () => {
    env = await createEnv(databases[0], { allowPrivateTargets: false });
  });
  afterAll(async () => env?.close());

  it('a webhook to a private address is refused with the setting that allows it, and nothing is stored', async () => {
    const a = await env.newAccount();
    const res = await call(env, a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:8080/hook', events: ['stock.changed'] }, 422);
    expect(res.body.error).toEqual({
      code: 'TARGET_NOT_ALLOWED',
      message:
        '127.0.0.1 is, or resolves to, a loopback, private or otherwise non-public address. Webhooks reach such addresses only when the server ' +
        'is started with STOCKHOOK_ALLOW_PRIVATE_TARGETS=1 (for receivers on the same machine or a private network; it also lets every account ' +
        'target them): ask its operator, or give a public URL',
      details: { field: 'url', setting: 'STOCKHOOK_ALLOW_PRIVATE_TARGETS' },
    });
    expect((await call(env, a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
  });
});
