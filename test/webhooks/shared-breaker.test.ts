import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDispatcher, createDomain } from '../../src/domain.js';
import type { Dispatcher } from '../../src/delivery/dispatcher.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ADMIN_TOKEN, describeEachDb, TEST_PUBLIC_URL } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

const BREAKER = { threshold: 3, cooldownMs: 600, maxCooldownMs: 1200 };

/**
 * Two workers (the test env's dispatcher, and a second one on its own connection, as another
 * process would be) share one endpoint's circuit breaker through the database: the second worker
 * learns of a pause the first opened, and at every reopen exactly one probe goes out.
 */
describeEachDb(
  'the circuit breaker is shared by every worker',
  (env) => {
    let rx: Receiver;
    let sick = true;
    let second: { store: Store; dispatcher: Dispatcher } | null = null;
    beforeAll(async () => {
      rx = await Receiver.start((r) => (r.url.startsWith('/shared-sick') && sick ? { status: 500 } : { status: 200 }));
    });
    afterAll(async () => {
      await second?.dispatcher.stop(1000);
      await second?.store.close();
      await rx.close();
    });

    it('a pause opened by one worker holds the other; one probe per reopen; a good probe lifts it for both', { timeout: 30_000 }, async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/shared-sick'), events: ['document.posted'], maxInFlight: 2, retrySchedule: Array(10).fill(0.05) }, 201)).body;
      for (let i = 0; i < 6; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const view = async () => (await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}`, undefined, 200)).body;
      const first = await eventually(async () => (await view()).pausedUntil, 10_000, 10);
      // The second worker starts while the endpoint is paused.
      const store = await openStore(env().url, { migrate: false });
      const domain = createDomain(store, { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL });
      second = { store, dispatcher: createDispatcher(domain, { pollMs: 50, concurrency: 8, breaker: BREAKER }) };
      await second.dispatcher.start();
      const sent = () => rx.on('/shared-sick').length;
      const before = sent();
      // Two reopens: each lets exactly one probe out (whichever worker takes it), which fails and
      // records the next pause. Unshared, the second worker would also send at each reopen.
      const pauses = [first];
      await eventually(async () => {
        const until = (await view()).pausedUntil;
        if (until && until !== pauses[pauses.length - 1]) pauses.push(until);
        return pauses.length === 3;
      }, 15_000, 10);
      expect(sent() - before).toBe(2);
      const metrics = await env().app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(metrics.body).toContain('stockhook_endpoints_paused 1');
      sick = false;
      await eventually(async () => {
        const l = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}/deliveries?status=succeeded`, undefined, 200);
        return l.body.data.length === 6;
      }, 15_000);
      expect((await view()).pausedUntil).toBeNull();
      // The worker whose probe did not lift it learns so at its next read of the shared state.
      const both = () => [env().dispatcher?.breakers.state(sub.id, Date.now()), second?.dispatcher.breakers.state(sub.id, Date.now())];
      await eventually(() => both().every((s) => s === 'closed'), 5000, 10);
      expect(both()).toEqual(['closed', 'closed']);
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 8, breaker: BREAKER } },
);
