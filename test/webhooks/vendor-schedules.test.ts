import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/**
 * The circuit breaker and the 5-day auto-disable are stockhook's own protections: they apply to the
 * formats that promise no schedule (native, cyclesoftware, marketplace) and never stretch or cancel
 * a vendor's promised one (MetaKocka: two more tries 60 s apart; Kladana; Poster).
 */
describeEachDb(
  'vendor formats keep their promised schedule',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start(() => ({ status: 500 }));
    });
    afterAll(async () => rx.close());

    it('a failing MetaKocka endpoint is never paused by the breaker; a native one is, after 3 failures', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const products = [];
      for (let i = 0; i < 5; i++) products.push(await product(env(), a, { sku: `MK-${i}`, code: `${700 + i}` }));
      const mk = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/mk'), format: 'metakocka' }, 201);
      const native = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/native'), events: ['stock.changed'], maxInFlight: 1 }, 201);
      // Five products: five MetaKocka deliveries and five native ones, every first attempt failing.
      for (const p of products) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const of = (path: string) => rx.requests.filter((r) => r.url === path);
      await eventually(() => of('/mk').length === 5, 10_000);
      await eventually(() => env().dispatcher?.breakers.reopenAt(native.body.id) != null, 10_000);
      // The breaker (threshold 3, 60 s cooldown) holds the native endpoint's other two deliveries.
      expect(of('/native')).toHaveLength(3);
      expect(env().dispatcher?.breakers.reopenAt(mk.body.id)).toBeNull();
      // Each MetaKocka delivery keeps its promised second try 60 s after the first: after the try
      // started plus 60 s, and no later than 60 s after its result could be read (it was decided before).
      const log = await call(env(), a, 'GET', `/api/v1/webhooks/${mk.body.id}/deliveries`, undefined, 200);
      expect(log.body.data).toHaveLength(5);
      for (const d of log.body.data) {
        const full = await eventually(async () => {
          const got = await call(env(), a, 'GET', `/api/v1/deliveries/${d.id}`, undefined, 200);
          return got.body.attempts === 1 && got;
        });
        const readAt = Date.now();
        const next = Date.parse(full.body.nextAttemptAt);
        expect(next - Date.parse(full.body.attemptLog[0].startedAt)).toBeGreaterThanOrEqual(60_000);
        expect(next).toBeLessThanOrEqual(readAt + 60_000);
      }
    });

    it('a MetaKocka endpoint failing for 5 days stays enabled; a native one is disabled', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sixDaysAgo = Date.now() - 6 * 24 * 3600 * 1000;
      const mk = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/mk-old'), format: 'metakocka' }, 201);
      await env().store.db.updateTable('webhooks').set({ failing_since_ms: sixDaysAgo }).where('id', '=', mk.body.id).execute();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(async () => {
        const l = await call(env(), a, 'GET', `/api/v1/webhooks/${mk.body.id}/deliveries`, undefined, 200);
        return l.body.data[0]?.attempts === 1;
      }, 10_000);
      // A native subscription failing as long, created after MetaKocka's attempt was written: its
      // disable proves the check has run over MetaKocka's result too (results are handled in order).
      const native = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/native-old'), events: ['document.posted'] }, 201);
      await env().store.db.updateTable('webhooks').set({ failing_since_ms: sixDaysAgo }).where('id', '=', native.body.id).execute();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(async () => !(await call(env(), a, 'GET', `/api/v1/webhooks/${native.body.id}`, undefined, 200)).body.enabled, 10_000);
      const still = (await call(env(), a, 'GET', `/api/v1/webhooks/${mk.body.id}`, undefined, 200)).body;
      expect(still.enabled).toBe(true);
      expect(still.disabledReason).toBeNull();
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 16, breaker: { threshold: 3, cooldownMs: 60_000, maxCooldownMs: 60_000 } } },
);
