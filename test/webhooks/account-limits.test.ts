import { expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';

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
