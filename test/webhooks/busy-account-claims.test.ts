import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, latch, Receiver, sleep } from '../support/receiver.js';

/**
 * A claim leaves out an account at its share, so one run for new deliveries of that account can't
 * take them: with every due row the account's, it walks the whole backlog and finds nothing. Such
 * an account's new work waits until the account drops below its share (Dispatcher.wake), and the
 * completion that brings it there wakes the loop, long before the poll.
 */
describeEachDb(
  'new work of an account at its share',
  (env) => {
    let rx: Receiver;
    let gate = latch();
    beforeAll(async () => {
      rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}', hold: gate.promise }));
    });
    afterAll(async () => {
      gate.open();
      await rx.close();
    });

    it('runs no claim that leaves the account out, and is sent once the account has room', async () => {
      gate = latch();
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      for (const path of ['/busy1', '/busy2']) {
        await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url(path), format: 'native', events: ['stock.changed'], maxInFlight: 8 }, 201);
      }
      const sent = () => [...rx.on('/busy1'), ...rx.on('/busy2')];
      const doc = () => post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      // Share 4, so each endpoint may have 2 in flight: the receiver holds 4, the account's share.
      for (let i = 0; i < 3; i++) await doc();
      await eventually(() => sent().length === 4, 10_000);
      await sleep(200);
      const executor = env().store.db.getExecutor();
      const run = executor.executeQuery.bind(executor);
      let claims = 0;
      let claimsWithoutTheAccount = 0;
      executor.executeQuery = ((q: { sql: string }, ...rest: unknown[]) => {
        if (/^update "deliveries" set "next_attempt_ms" = .*"lease_owner" = /.test(q.sql)) {
          claims++;
          if (/"account_id" not in/.test(q.sql)) claimsWithoutTheAccount++;
        }
        return (run as (...a: unknown[]) => unknown)(q, ...rest);
      }) as typeof executor.executeQuery;
      try {
        // The account stays at its share: these are written unleased and wait.
        for (let i = 0; i < 10; i++) await doc();
        await sleep(300);
        expect({ claims, claimsWithoutTheAccount }).toEqual({ claims: 0, claimsWithoutTheAccount: 0 });
        expect(sent()).toHaveLength(4);
        gate.open();
        // The poll is a minute away: the completions that make room bring the claims.
        await eventually(() => sent().length === 26, 10_000);
      } finally {
        executor.executeQuery = run;
      }
      const ids = sent().map((r) => r.headers['webhook-id']);
      expect(new Set(ids).size).toBe(26);
      expect(claims).toBeGreaterThanOrEqual(1);
      expect(claimsWithoutTheAccount).toBe(0);
    });
  },
  { dispatcher: { pollMs: 60_000, leaseMs: 20_000, concurrency: 8, accountShare: 4 } },
);
