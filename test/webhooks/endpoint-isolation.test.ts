import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

describeEachDb(
  'one bad endpoint does not hurt the others',
  (env) => {
    let rx: Receiver;
    let sick = true;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        if (r.url.startsWith('/blackhole')) return 'hang';
        if (r.url.startsWith('/always-500')) return { status: 500 };
        if (r.url.startsWith('/sick')) return sick ? { status: 500 } : { status: 200 };
        return { status: 200 };
      });
    });
    afterAll(async () => rx.close());

    it('a black-holed endpoint holds only its own in-flight slots; a healthy one gets everything meanwhile', { timeout: 45_000 }, async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/blackhole'), events: ['document.posted'], maxInFlight: 2 }, 201);
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/healthy'), events: ['document.posted'] }, 201);
      for (let i = 0; i < 20; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      // The dispatcher has 8 slots; without the per-endpoint limit the black hole would hold all of
      // them until its requests time out (15 s), and the healthy endpoint would get the rest only
      // after that. So: everything reaches the healthy endpoint while the black hole's requests are
      // still hanging, whatever the machine's speed.
      const holes = () => rx.on('/blackhole');
      await eventually(() => rx.on('/healthy').length === 20 || holes().some((r) => r.abandoned), 30_000, 25);
      expect(holes().filter((r) => r.abandoned)).toEqual([]);
      expect(rx.on('/healthy')).toHaveLength(20);
      expect(holes()).toHaveLength(2);
    });

    it("one account's black holes hold only that account's share of the send slots; another account is delivered meanwhile", { timeout: 45_000 }, async () => {
      // The worker has 8 slots (2 still held by the first test's black hole) and an account share of
      // 4. Account A points four webhooks with a high maxInFlight at a black hole: without the share
      // they would take every free slot until their requests time out (15 s) and B would wait that long.
      const a = await env().newAccount();
      const wa = await warehouse(env(), a);
      const pa = await product(env(), a);
      for (let i = 0; i < 4; i++) {
        await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url(`/blackhole-tenant/${i}`), events: ['document.posted'], maxInFlight: 8 }, 201);
      }
      for (let i = 0; i < 5; i++) await post(env(), a, { type: 'receipt', warehouseId: wa, lines: [{ productId: pa, quantity: 1 }] });
      const holes = () => rx.requests.filter((r) => r.url.startsWith('/blackhole-tenant/'));
      await eventually(() => holes().length >= 4, 10_000, 10);

      const b = await env().newAccount();
      const wb = await warehouse(env(), b);
      const pb = await product(env(), b);
      await call(env(), b, 'POST', '/api/v1/webhooks', { url: rx.url('/tenant-b'), events: ['document.posted'] }, 201);
      for (let i = 0; i < 10; i++) await post(env(), b, { type: 'receipt', warehouseId: wb, lines: [{ productId: pb, quantity: 1 }] });
      await eventually(() => rx.on('/tenant-b').length === 10 || holes().some((r) => r.abandoned), 30_000, 25);
      // B got everything while A's requests were all still hanging, and A never had more than its share out.
      expect(holes().filter((r) => r.abandoned)).toEqual([]);
      expect(rx.on('/tenant-b')).toHaveLength(10);
      expect(holes()).toHaveLength(4);
    });

    it('the breaker opens after repeated failures, spends no attempts while open, and closes on recovery', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/sick'), events: ['document.posted'], maxInFlight: 1, retrySchedule: [0.05, 0.05] }, 201);
      for (let i = 0; i < 5; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const sickReqs = () => rx.requests.filter((r) => r.url === '/sick');
      // Opened (reopenAt stays set while open and half-open, so a slow poll cannot miss it).
      await eventually(() => env().dispatcher?.breakers.reopenAt(sub.body.id) != null, 10_000, 5);
      const metrics = await env().app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const gauge = (state: string) => Number(new RegExp(`stockhook_breakers\\{state="${state}"\\} (\\d+)`).exec(metrics.body)?.[1]);
      expect(gauge('open') + gauge('half-open')).toBe(1);
      // Threshold 3: three failures opened it; while open nothing is sent, so the fourth request is
      // the half-open probe, at least a cooldown (1 s) after the third.
      await eventually(() => sickReqs().length >= 4, 10_000, 5);
      expect(sickReqs()[3].at - sickReqs()[2].at).toBeGreaterThanOrEqual(900);
      sick = false;
      await eventually(async () => {
        const l = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries?status=succeeded`, undefined, 200);
        return l.body.data.length === 5;
      }, 8000);
      // Five deliveries with three attempts each would all have failed within ~0.2 s without the breaker.
      const list = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries`, undefined, 200);
      const attempts = list.body.data.reduce((n: number, d: any) => n + d.attempts, 0);
      expect(attempts).toBeLessThan(15);
      expect(env().dispatcher?.breakers.state(sub.body.id, Date.now())).toBe('closed');
    });

    it('an endpoint failing for 5 days is disabled, with a webhook.disabled event', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/always-500'), events: ['document.posted'], retrySchedule: [3600] }, 201);
      const fiveDaysAgo = Date.now() - 5 * 24 * 3600 * 1000 - 1000;
      await env().store.db.updateTable('webhooks').set({ failing_since_ms: fiveDaysAgo }).where('id', '=', sub.body.id).execute();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const disabled = await eventually(async () => {
        const s = (await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}`, undefined, 200)).body;
        return !s.enabled && s;
      }, 5000);
      expect(disabled.disabledReason).toBe('the endpoint has been failing for 5 days');
      expect(disabled.failingSince).toBe(new Date(fiveDaysAgo).toISOString());
      const evs = (await call(env(), a, 'GET', '/api/v1/events?type=webhook.disabled', undefined, 200)).body.data;
      expect(evs.map((e: any) => e.data.webhookId)).toEqual([sub.body.id]);
      // Its waiting retry is held, not lost.
      const l = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries`, undefined, 200);
      expect(l.body.data.map((d: any) => d.status)).toEqual(['held']);
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 8, accountShare: 4, breaker: { threshold: 3, cooldownMs: 1000, maxCooldownMs: 2000 } } },
);
