import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { allSucceeded, call, levels, post, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';
import { documents, listening, requests, source } from './helpers.js';
import { poster, send } from './senders.js';

/*
 * A Poster till as a source, its requests written from Poster's webhook document (seed
 * 004_a1bb63d8532f2e59.txt): `stock` hooks carry data {type, element_id, storage_id,
 * value_relative, value_absolute}, signed by `verify`; Poster wants HTTP 200 and otherwise retries
 * (15 more tries within two days), each retry the same body. The marketplace receiving side is the
 * fashion marketplace's document (seed 002_d1b22f6ebf781033.txt): {products:[{id, sizes:[{value, count, soldCount, sizeId}]}]}.
 */

const SECRET = 'fe2bc8e865d8fc2236968ee53c3b2bd5';

async function shop(env: TestEnv, rx: Receiver, tag: string) {
  const a = await env.newAccount();
  // Poster's storage_id 1 is the warehouse coded "1"; its element_id 42 the product coded "42".
  const w = await warehouse(env, a, 'Bar', { code: '1' });
  const p = (await call(env, a, 'POST', '/api/v1/products', { title: 'Espresso beans', code: '42' }, 201)).body.id as number;
  const marketplace = (await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url(`/${tag}/mp`), format: 'marketplace', bearerToken: 'mp-token' }, 201)).body;
  const posterSub = (await call(env, a, 'POST', '/api/v1/webhooks', { url: rx.url(`/${tag}/poster`), format: 'poster', objects: ['stock'], secret: 'poster-out' }, 201)).body;
  const s = await source(env, a, { name: 'Poster till', format: 'poster', secret: SECRET, mapping: 'code', ownWebhookIds: [posterSub.id] });
  await post(env, a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 10 }] });
  // The receipt reaches Poster (its one delivery) and not the marketplace (not a sale).
  await allSucceeded(env, a, posterSub.id, 1);
  return { a, w, p, marketplace, posterSub, s };
}

const stockHook = (valueAbsolute: number, valueRelative: number, time: string) => ({
  account: 'api-demo',
  account_number: '813932',
  object: 'stock',
  object_id: 42,
  action: 'changed',
  time,
  data: { type: 2, element_id: 42, storage_id: 1, value_relative: valueRelative, value_absolute: valueAbsolute },
});

describeEachDb(
  'a Poster source',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}' }));
    });
    afterAll(async () => rx.close());

    it('a sale at the till (stock/changed) lowers the level, reaches the marketplace as its count, and is not echoed to Poster', async () => {
      const { a, w, p, marketplace, posterSub, s } = await shop(env(), rx, 'sale');
      const base = await listening(env());
      const res = await send(base, poster(s.path, SECRET, stockHook(7, -3, '1518794257')));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ status: 'accept' });
      expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.amount])).toEqual([[w, 7]]);
      const docs = await documents(env(), a);
      const count = docs.at(-1);
      expect(count).toMatchObject({ type: 'count', warehouseId: w, source: `source:${s.id}`, lines: [{ productId: p, quantity: 7 }] });
      // The marketplace hears a sale made elsewhere: 3 sold, 7 left.
      const mp = await allSucceeded(env(), a, marketplace.id, 1);
      expect(mp.map((d: any) => d.eventType)).toEqual(['document.posted']);
      await eventually(() => rx.requests.some((r) => r.url === '/sale/mp'));
      const got = JSON.parse(rx.requests.find((r) => r.url === '/sale/mp')!.body);
      expect(got).toEqual({ products: [{ id: p, sizes: [{ value: '', count: 7, soldCount: 3, sizeId: 0 }] }] });
      // Deliveries commit with the change: the Poster subscription still has only the receipt's.
      const posterLog = (await call(env(), a, 'GET', `/api/v1/webhooks/${posterSub.id}/deliveries`, undefined, 200)).body.data;
      expect(posterLog).toHaveLength(1);
      const log = await requests(env(), a, s.id);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ verified: true, outcome: 'booked', deliveryKey: 'api-demo/stock/42/changed/1518794257', answer: { status: 200 } });
      expect(log[0].detail.documentIds).toEqual([count.id]);
      // The event names its origin, so any reader can tell a change reported by Poster.
      const events = (await call(env(), a, 'GET', '/api/v1/events?limit=100', undefined, 200)).body.data as any[];
      const changed = events.filter((e) => e.type === 'stock.changed').at(-1);
      expect(changed.data).toMatchObject({ amount: 7, amountDelta: -3, documentId: count.id, origin: { sourceId: s.id, noEchoTo: [posterSub.id] } });
    });

    it("Poster's retry of the same hook books once; a later balance books; an older one arriving late is logged and skipped", async () => {
      const { a, w, p, s } = await shop(env(), rx, 'retry');
      const base = await listening(env());
      const hook = poster(s.path, SECRET, stockHook(8, -2, '1700000100'));
      expect((await send(base, hook)).status).toBe(200);
      expect((await send(base, hook)).status).toBe(200);
      expect((await levels(env(), a, `?productId=${p}`))[0].amount).toBe(8);
      expect((await documents(env(), a)).filter((d) => d.type === 'count')).toHaveLength(1);
      // A newer balance (time 1700000200), then the older one (time 1700000150) delivered late.
      expect((await send(base, poster(s.path, SECRET, stockHook(5, -3, '1700000200')))).status).toBe(200);
      const late = await send(base, poster(s.path, SECRET, stockHook(6, -2, '1700000150')));
      expect(late.status).toBe(200);
      expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.warehouseId, l.amount])).toEqual([[w, 5]]);
      const log = (await requests(env(), a, s.id)).reverse();
      expect(log.map((r) => r.outcome)).toEqual(['booked', 'duplicate', 'booked', 'stale']);
      expect(log[3].detail.stale).toEqual([{ key: JSON.stringify(['42', '1', '', '', '', '', '']), mark: 1700000150, last: 1700000200 }]);
      expect((await documents(env(), a)).filter((d) => d.type === 'count')).toHaveLength(2);
    });

    it('a balance below the units reserved is kept as unmatched, not booked', async () => {
      const { a, w, p, s } = await shop(env(), rx, 'reserved');
      const base = await listening(env());
      await post(env(), a, { type: 'reserve', warehouseId: w, lines: [{ productId: p, quantity: 4 }] });
      expect((await send(base, poster(s.path, SECRET, stockHook(3, -7, '1700000300')))).status).toBe(200);
      expect((await levels(env(), a, `?productId=${p}`)).map((l) => [l.amount, l.reserved])).toEqual([[10, 4]]);
      const kept = (await call(env(), a, 'GET', `/api/v1/sources/${s.id}/unmatched`, undefined, 200)).body.data;
      expect(kept.map((k: any) => [k.reason, k.amount])).toEqual([['amount 3 is below the 4 units reserved at the key', 3]]);
      expect((await requests(env(), a, s.id))[0].outcome).toBe('unmatched');
    });

    it('a hook with a wrong verify is refused and books nothing; the refusal is in the log', async () => {
      const { a, p, s } = await shop(env(), rx, 'bad');
      const base = await listening(env());
      const forged = poster(s.path, 'not-the-secret', stockHook(0, -10, '1518794300'));
      const res = await send(base, forged);
      expect(res.status).toBe(403);
      expect((await levels(env(), a, `?productId=${p}`))[0].amount).toBe(10);
      expect((await documents(env(), a)).filter((d) => d.type === 'count')).toEqual([]);
      const log = await requests(env(), a, s.id);
      expect(log).toHaveLength(1);
      expect(log[0]).toMatchObject({ verified: false, verifyReason: 'verify does not match', outcome: 'refused', answer: { status: 403 } });
      expect(JSON.parse(log[0].body).verify).toBe(JSON.parse(forged.body).verify);
      // An unknown path is not a source.
      expect((await send(base, { ...forged, path: '/in/nobody' })).status).toBe(404);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
