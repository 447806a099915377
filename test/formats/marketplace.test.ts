import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { allSucceeded, call, post, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received } from '../support/receiver.js';

/*
 * The receiving side, written from the marketplace document (seed 002) alone:
 * {"products": [{"id": Number, "sizes": [{"value": String, "count": Number, "soldCount": Number, "sizeId": Number}]}]},
 * sent about sales and returns, plus Standard Webhooks signatures and the subscription's bearer token.
 */
interface Size {
  value: string;
  count: number;
  soldCount: number;
  sizeId: number;
}
type Body = { products: Array<{ id: number; sizes: Size[] }> };

const TOKEN = 'marketplace-api-token-123';

function checkBody(r: Received, secret: string): Body {
  expect(r.method).toBe('POST');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
  const body = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as Body;
  expect(Object.keys(body)).toEqual(['products']);
  expect(Array.isArray(body.products)).toBe(true);
  for (const p of body.products) {
    expect(Object.keys(p).sort()).toEqual(['id', 'sizes']);
    expect(typeof p.id).toBe('number');
    expect(Array.isArray(p.sizes)).toBe(true);
    for (const s of p.sizes) {
      expect(Object.keys(s).sort()).toEqual(['count', 'sizeId', 'soldCount', 'value']);
      expect(typeof s.value).toBe('string');
      expect(typeof s.count).toBe('number');
      expect(typeof s.soldCount).toBe('number');
      expect(typeof s.sizeId).toBe('number');
    }
  }
  // A tampered body does not verify.
  expect(() => new Webhook(secret).verify(r.body.replace('products', 'producta'), r.headers as Record<string, string>)).toThrow();
  return body;
}

const on = (rx: Receiver, path: string) => rx.on(path);


async function setup(env: TestEnv, rx: Receiver, path: string) {
  const a = await env.newAccount();
  const sub = (await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url(path), format: 'marketplace', bearerToken: TOKEN }, 201)).body;
  const w1 = await warehouse(env, a, 'Main');
  const w2 = await warehouse(env, a, 'Second');
  const w3 = await warehouse(env, a, 'Closed');
  const supplierProductId = `SS21CA2N-${path.slice(1)}`;
  const p = (
    await call(env, a, 'POST', '/api/v1/products', { title: 'Dress', supplierProductId, sizes: [{ value: 'S', sizeId: 5 }, { value: 'XL' }] }, 201)
  ).body.id as number;
  const q = (await call(env, a, 'POST', '/api/v1/products', { title: 'Scarf' }, 201)).body.id as number;
  // Stock: S 10 + 3 sellable, XL 4, scarf 6; the closed warehouse's 100 S do not count.
  await post(env, a, { type: 'receipt', warehouseId: w1, lines: [{ productId: p, size: 'S', quantity: 10 }, { productId: p, size: 'XL', quantity: 4 }, { productId: q, quantity: 6 }] });
  await post(env, a, { type: 'receipt', warehouseId: w2, lines: [{ productId: p, size: 'S', quantity: 3 }] });
  await post(env, a, { type: 'receipt', warehouseId: w3, lines: [{ productId: p, size: 'S', quantity: 100 }] });
  await call(env, a, 'PATCH', `/api/v1/warehouses/${w3}`, { active: false }, 200);
  return { a, sub, w1, w2, p, q, supplierProductId };
}

async function nextHook(rx: Receiver, path: string, n: number, secret: string): Promise<Body> {
  await eventually(() => on(rx, path).length >= n, 10_000);
  return checkBody(on(rx, path)[n - 1], secret);
}

async function supplier(env: TestEnv, a: TestAccount, payload: object) {
  return call(env, a, 'POST', '/api/v1/supplier/stock', payload, 200);
}

describeEachDb(
  'marketplace webhooks',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        const seen = on(rx, r.url).length;
        if (r.url === '/flaky') return seen === 1 ? { status: 500 } : { status: 202 };
        return { status: 204 };
      });
    });
    afterAll(async () => rx.close());

    it('receipts and reservations send nothing; a sale sends one signed webhook with counts and sizeIds', async () => {
      const { a, sub, w1, p, q } = await setup(env(), rx, '/sale');
      await post(env(), a, { type: 'reserve', warehouseId: w1, lines: [{ productId: p, size: 'S', quantity: 1 }] });
      await post(env(), a, {
        type: 'sale',
        warehouseId: w1,
        lines: [{ productId: p, size: 'S', quantity: 1 }, { productId: p, size: 'XL', quantity: 1 }, { productId: q, quantity: 2 }, { productId: p, size: 'S', quantity: 1 }],
      });
      const body = await nextHook(rx, '/sale', 1, sub.secret);
      // S: 10 - 1 reserved - 2 sold at Main + 3 at Second = 10 free.
      expect(body).toEqual({
        products: [
          { id: p, sizes: [{ value: 'S', count: 10, soldCount: 2, sizeId: 5 }, { value: 'XL', count: 3, soldCount: 1, sizeId: 0 }] },
          { id: q, sizes: [{ value: '', count: 4, soldCount: 2, sizeId: 0 }] },
        ],
      });
      const log = await allSucceeded(env(), a, sub.id, 1);
      expect(on(rx, '/sale')).toHaveLength(1);
      expect(log.map((d: any) => d.eventType)).toEqual(['document.posted']);
      expect(on(rx, '/sale')[0].headers['webhook-id']).toBe(log[0].id);
    });

    it('a return and a cancelled sale give units back (negative soldCount); a cancelled return sells them again', async () => {
      const { a, sub, w1, w2, p } = await setup(env(), rx, '/returns');
      const sale = await post(env(), a, { type: 'sale', warehouseId: w1, lines: [{ productId: p, size: 'S', quantity: 4 }] });
      expect(await nextHook(rx, '/returns', 1, sub.secret)).toEqual({ products: [{ id: p, sizes: [{ value: 'S', count: 9, soldCount: 4, sizeId: 5 }] }] });
      const ret = await post(env(), a, { type: 'return', warehouseId: w2, lines: [{ productId: p, size: 'S', quantity: 1 }] });
      expect(await nextHook(rx, '/returns', 2, sub.secret)).toEqual({ products: [{ id: p, sizes: [{ value: 'S', count: 10, soldCount: -1, sizeId: 5 }] }] });
      await call(env(), a, 'POST', `/api/v1/documents/${sale.body.id}/cancel`, undefined, 200);
      expect(await nextHook(rx, '/returns', 3, sub.secret)).toEqual({ products: [{ id: p, sizes: [{ value: 'S', count: 14, soldCount: -4, sizeId: 5 }] }] });
      await call(env(), a, 'POST', `/api/v1/documents/${ret.body.id}/cancel`, undefined, 200);
      expect(await nextHook(rx, '/returns', 4, sub.secret)).toEqual({ products: [{ id: p, sizes: [{ value: 'S', count: 13, soldCount: 1, sizeId: 5 }] }] });
      await allSucceeded(env(), a, sub.id, 4);
      expect(on(rx, '/returns')).toHaveLength(4);
    });

    it("the supplier's own messages (balances, sales, returns, cancels, prices) are never echoed back as webhooks", async () => {
      const { a, sub, w1, p, supplierProductId } = await setup(env(), rx, '/supplier');
      await supplier(env(), a, { supplierProductId, action: 'receipts', sizes: [{ value: 'XL', count: 2 }] });
      await supplier(env(), a, { supplierProductId, action: 'price', newPrice: 76000 });
      // The seed's example: the supplier sold one itself and has 2 left; the marketplace must not hear it again.
      await supplier(env(), a, { supplierProductId, action: 'sold', newPrice: 76000, sizes: [{ value: 'XL', count: 2, soldCount: 1, sizeId: 5 }] });
      await supplier(env(), a, { supplierProductId, action: 'return', sizes: [{ value: 'S', count: 14 }] });
      await supplier(env(), a, { supplierProductId, action: 'cancel', sizes: [{ value: 'XL', count: 3 }] });
      // A sale of the marketplace's own afterwards is heard, with the supplier's balances in count.
      await post(env(), a, { type: 'sale', warehouseId: w1, lines: [{ productId: p, size: 'XL', quantity: 1 }] });
      expect(await nextHook(rx, '/supplier', 1, sub.secret)).toEqual({ products: [{ id: p, sizes: [{ value: 'XL', count: 2, soldCount: 1, sizeId: 0 }] }] });
      // The supplier's messages committed before the sale: its delivery being the only one proves none was echoed.
      await allSucceeded(env(), a, sub.id, 1);
      expect(on(rx, '/supplier')).toHaveLength(1);
      const log = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}/deliveries`, undefined, 200);
      expect(log.body.data).toHaveLength(1);
    });

    it('any 2xx succeeds; a 500 is retried with the same id and bytes; the default schedule is the native one', async () => {
      const a = await env().newAccount();
      const sub = (
        await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/flaky'), format: 'marketplace', bearerToken: TOKEN, retrySchedule: [0.1, 0.1] }, 201)
      ).body;
      const dflt = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/unused'), format: 'marketplace', enabled: false }, 201);
      expect(dflt.body.retrySchedule).toEqual([5, 300, 1800, 7200, 18000, 36000, 36000]);
      expect(dflt.body.secret).toMatch(/^whsec_/);
      const w = await warehouse(env(), a);
      const p = (await call(env(), a, 'POST', '/api/v1/products', { title: 'Plain' }, 201)).body.id;
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3 }] });
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => on(rx, '/flaky').length === 2);
      const [first, second] = on(rx, '/flaky');
      expect(second.body).toBe(first.body);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(checkBody(second, sub.secret)).toEqual({ products: [{ id: p, sizes: [{ value: '', count: 2, soldCount: 1, sizeId: 0 }] }] });
      const d = await eventually(async () => {
        const list = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}/deliveries`, undefined, 200);
        return list.body.data[0]?.status === 'succeeded' && list.body.data[0];
      });
      expect(d).toMatchObject({ attempts: 2, lastStatusCode: 202 });
    });
  },
  { dispatcher: { pollMs: 100 } },
);
