import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { accountWithWebhooks } from '../support/fixtures.js';
import { eventually, latch, Receiver } from '../support/receiver.js';

/**
 * Isolation down to the socket: two accounts deliver to one receiver host (one host for every
 * customer is how integration platforms work). Account A's paths hang; account B's deliveries to
 * another path of the same host arrive meanwhile. With one connection pool per origin shared by
 * every account (64 connections), A's hanging requests held all of them and B's waited in the
 * pool until A's timed out (15 s), although the send slots had let them start.
 */
describeEachDb(
  "one account's hanging requests to a host do not hold the connections another account needs there",
  (env) => {
    const gate = latch();
    let rx: Receiver;
    beforeAll(async () => {
      // /hang/* answers only when the test ends (a receiver that never answers, while the test runs).
      rx = await Receiver.start((r) => (r.path.startsWith('/hang/') ? { status: 200, body: '{}', hold: gate.promise } : { status: 200, body: '{"ok":true}' }));
    });
    afterAll(async () => {
      gate.open();
      await rx.close();
    });

    it("B's deliveries to the host arrive while A's requests to it are all still open", { timeout: 60_000 }, async () => {
      const hangs = Array.from({ length: 8 }, (_, i) => `/hang/${i}`);
      // 8 webhooks of 12 in flight each: up to 96 of A's requests at once, within its share of 128.
      const a = await accountWithWebhooks(env(), rx, hangs, { maxInFlight: 12 });
      const openOfA = () => rx.requests.filter((r) => r.path.startsWith('/hang/') && !r.answered && !r.abandoned).length;
      const abandonedOfA = () => rx.requests.filter((r) => r.path.startsWith('/hang/') && r.abandoned).length;
      for (let i = 0; i < 10; i++) await a.doc();
      // As many of A's requests open at the receiver as the old shared pool had connections.
      await eventually(() => openOfA() >= 64, 20_000, 10, "64 of A's requests open at the receiver");

      const b = await accountWithWebhooks(env(), rx, ['/ok']);
      for (let i = 0; i < 20; i++) {
        await b.doc();
        // A keeps posting (its deliveries stay within its share: 15 documents x 8 webhooks).
        if (i % 4 === 0) await a.doc();
      }
      // Whichever comes first: all of B's deliveries, or the first of A's requests given up (its
      // 15 s timeout). B's must come first, however slow the machine.
      await eventually(() => rx.on('/ok').length === 20 || abandonedOfA() > 0, 45_000, 10, "B's deliveries or A's timeouts");
      expect({ b: rx.on('/ok').length, abandonedOfA: abandonedOfA() }).toEqual({ b: 20, abandonedOfA: 0 });
      expect(openOfA()).toBeGreaterThanOrEqual(64);
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 256, accountShare: 128 } },
);
