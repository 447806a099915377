import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { Receiver } from '../support/receiver.js';
import { eventually } from '../support/wait.js';

/**
 * One tenant's slow endpoints must not stall another tenant: an account holds at most its share of
 * a worker's send slots (here 4 of 16), however many webhooks and however high a maxInFlight it has.
 */
describeEachDb(
  'one tenant cannot take every send slot',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => (r.url.startsWith('/blackhole') ? 'hang' : { status: 200 }));
    });
    afterAll(async () => rx.close());

    it("a tenant's black holes hold only its share; another tenant's delivery goes out while they hang", async () => {
      const noisy = await env().newAccount();
      const w = await warehouse(env(), noisy);
      const p = await product(env(), noisy);
      for (const path of ['/blackhole-1', '/blackhole-2']) {
        await call(env(), noisy, 'POST', '/api/v1/webhooks', { url: rx.url(path), events: ['document.posted'], maxInFlight: 256 }, 201);
      }
      for (let i = 0; i < 12; i++) await post(env(), noisy, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const hanging = () => rx.requests.filter((r) => r.url.startsWith('/blackhole'));
      await eventually(() => hanging().length === 4, 10_000);

      const quiet = await env().newAccount();
      const qw = await warehouse(env(), quiet);
      const qp = await product(env(), quiet);
      await call(env(), quiet, 'POST', '/api/v1/webhooks', { url: rx.url('/quiet'), events: ['document.posted'] }, 201);
      await post(env(), quiet, { type: 'receipt', warehouseId: qw, lines: [{ productId: qp, quantity: 1 }] });
      // Without the share the 24 deliveries would hold all 16 slots until their 15 s timeout.
      await eventually(() => rx.requests.some((r) => r.url === '/quiet'), 10_000);
      // Still exactly the share: every one of them still hanging, none answered, no more let through.
      expect(hanging()).toHaveLength(4);
      expect(hanging().every((r) => !r.answered)).toBe(true);
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 16, accountShare: 4 } },
);

describeEachDb(
  'per-account limits',
  (env) => {
    it('webhooks per account: the one over the limit is 422 WEBHOOK_LIMIT_REACHED and not created', async () => {
      const a = await env().newAccount();
      for (let i = 0; i < 3; i++) await call(env(), a, 'POST', '/api/v1/webhooks', { url: `http://127.0.0.1:9/h${i}` }, 201);
      const over = await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/h3' });
      expect([over.status, over.body.error.code]).toEqual([422, 'WEBHOOK_LIMIT_REACHED']);
      expect(over.body.error.details).toEqual({ limit: 3 });
      expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toHaveLength(3);
      // Another account has its own allowance.
      const b = await env().newAccount();
      await call(env(), b, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/b' }, 201);
    });

    it('replays per subscription: a second one while the first runs is 409, once it is done another is accepted', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      for (let i = 0; i < 3; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/replayed' }, 201)).body;
      const since = new Date(Date.now() - 60_000).toISOString();
      // A running replay, as the table records one while its job pages through events.
      const now = Date.now();
      await env().store.db
        .insertInto('replays')
        .values({ id: crypto.randomUUID(), account_id: a.id, webhook_id: sub.id, since_ms: now - 60_000, status: 'running', events_total: 3, events_done: 0, deliveries: 0, error: null, started_ms: now, heartbeat_ms: now, finished_ms: null })
        .execute();
      const second = await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/replay`, { since });
      expect([second.status, second.body.error.code]).toEqual([409, 'CONFLICT']);
      expect(second.body.error.details).toEqual({ limit: 1 });
      await env().store.db.updateTable('replays').set({ status: 'done', finished_ms: now }).where('webhook_id', '=', sub.id).execute();
      await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/replay`, { since }, 202);
    });
  },
  { limits: { webhooksPerAccount: 3, replaysPerWebhook: 1 } },
);
