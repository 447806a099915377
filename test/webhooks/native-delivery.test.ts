import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, events, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

describeEachDb(
  'native webhooks',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start();
    });
    afterAll(async () => rx.close());

    it('delivers each event signed as Standard Webhooks says, verified by the standardwebhooks package', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/a'), events: ['stock.changed', 'document.posted'] }, 201);
      expect(sub.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
      expect(sub.body).toMatchObject({ format: 'native', enabled: true, retrySchedule: [5, 300, 1800, 7200, 18000, 36000, 36000], maxInFlight: 16 });
      const start = rx.requests.length;
      const doc = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 4, lot: 'L1' }] });
      await rx.waitFor(start + 2);
      const got = rx.requests.slice(start).filter((r) => r.url === '/a');
      expect(got).toHaveLength(2);
      const verifier = new Webhook(sub.body.secret);
      const bodies = got.map((r) => verifier.verify(r.body, r.headers as Record<string, string>) as any);
      const evs = (await events(env(), a)).filter((e) => e.type === 'stock.changed' || e.type === 'document.posted');
      expect(bodies.map((b) => b.id).sort()).toEqual(evs.map((e) => e.id).sort());
      const stock = bodies.find((b) => b.type === 'stock.changed');
      expect(stock).toEqual({
        id: expect.any(String),
        type: 'stock.changed',
        timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        account_id: a.id,
        data: expect.objectContaining({ warehouseId: w, productId: p, lot: 'L1', amount: 4, reserved: 0, free: 4, amountDelta: 4, version: 1, documentId: doc.body.id }),
      });
      for (const r of got) {
        expect(r.method).toBe('POST');
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);
        expect(Number(r.headers['webhook-timestamp'])).toBeCloseTo(Date.now() / 1000, -1);
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      }
      // A tampered body fails verification.
      expect(() => verifier.verify(got[0].body.replace('"', ' "'), got[0].headers as Record<string, string>)).toThrow();
      // The log shows each delivery succeeded on its first attempt, under the id it was sent with.
      const log = await eventually(async () => {
        const l = (await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries`, undefined, 200)).body.data as any[];
        return l.length === 2 && l.every((d) => d.status === 'succeeded') && l;
      });
      expect(log.map((d) => [d.attempts, d.lastStatusCode])).toEqual([
        [1, 200],
        [1, 200],
      ]);
      expect(log.map((d) => d.id).sort()).toEqual(got.map((r) => r.headers['webhook-id']).sort());
    });

    it('a refused change creates no delivery; the event filter and disabled subscriptions are respected', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const only = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/only-products'), events: ['product.updated'] }, 201);
      const off = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/off'), enabled: false }, 201);
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 422);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { price: 3 }, 200);
      const db = env().store.db;
      const rows = await db.selectFrom('deliveries').select(['webhook_id', 'event_type']).where('account_id', '=', a.id).execute();
      expect(rows).toEqual([{ webhook_id: only.body.id, event_type: 'product.updated' }]);
      expect(rows.some((r) => r.webhook_id === off.body.id)).toBe(false);
    });

    it('free plans cannot subscribe and are sent nothing', async () => {
      const a = await env().newAccount('free');
      const res = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/free') }, 403);
      expect(res.body.error.code).toBe('PLAN_FORBIDS_WEBHOOKS');

      // An account moved to the free plan keeps its subscription but is sent nothing. There is no
      // API to change a plan (an operator's job), so the test changes the row.
      const b = await env().newAccount('paid');
      const w = await warehouse(env(), b);
      const p = await product(env(), b);
      const sub = await call(env(), b, 'POST', '/api/v1/webhooks', { url: rx.url('/downgraded'), events: ['document.posted'] }, 201);
      await post(env(), b, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => rx.on('/downgraded').length === 1);
      await env().store.db.updateTable('accounts').set({ plan: 'free' }).where('id', '=', b.id).execute();
      await post(env(), b, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      // Deliveries are written with the change, in its transaction: the second receipt has none.
      const rows = await env().store.db.selectFrom('deliveries').select('event_type').where('account_id', '=', b.id).execute();
      expect(rows).toEqual([{ event_type: 'document.posted' }]);
      expect((await events(env(), b)).filter((e) => e.type === 'document.posted')).toHaveLength(2);
      // Its log can no longer be read or retried through the webhooks API either.
      expect((await call(env(), b, 'POST', `/api/v1/webhooks/${sub.body.id}/test`, undefined, 403)).body.error.code).toBe('PLAN_FORBIDS_WEBHOOKS');
      expect(rx.on('/downgraded')).toHaveLength(1);
    });
  },
  { dispatcher: { pollMs: 200 } },
);
