import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { accountWithWebhooks, call } from '../support/fixtures.js';
import { eventually, heldReceiver, latch, Receiver, sleep } from '../support/receiver.js';

/**
 * A claim leaves out an account at its share, so one run for new deliveries of that account can't
 * take them: with every due row the account's, it walks the whole backlog and finds nothing. Such
 * an account's new work waits until the account drops below its share (Dispatcher.wake), and the
 * completion that brings it there wakes the loop, long before the poll.
 */
describeEachDb(
  'new work of an account at its share',
  (env) => {
    const held = heldReceiver();

    it('runs no claim that leaves the account out, and is sent once the account has room', async () => {
      held.hold();
      const { doc } = await accountWithWebhooks(env(), held.rx, ['/busy1', '/busy2']);
      const sent = () => [...held.rx.on('/busy1'), ...held.rx.on('/busy2')];
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
        held.release();
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

/**
 * A retry is announced by no commit: while a busy account's new work waits for its share and the
 * last claim's answer ("nothing else due") holds, another account's retry must still go out when
 * it comes due, whether the busy account keeps committing or not.
 */
for (const busyCommits of [true, false]) {
  describeEachDb(
    `a retry while a busy account ${busyCommits ? 'commits' : 'is quiet'}`,
    (env) => {
      let rx: Receiver;
      const gate = latch();
      let firstToB = true;
      beforeAll(async () => {
        rx = await Receiver.start((r) => {
          if (r.path === '/b') {
            const first = firstToB;
            firstToB = false;
            return first ? { status: 500, body: 'no' } : { status: 200, body: '{}' };
          }
          return { status: 200, body: '{"ok":true}', hold: gate.promise };
        });
      });
      afterAll(async () => {
        gate.open();
        await rx.close();
      });

      it('is sent about when it is due, long before the poll', async () => {
        const { doc } = await accountWithWebhooks(env(), rx, ['/busy1', '/busy2']);
        const held = () => [...rx.on('/busy1'), ...rx.on('/busy2')];
        // A at its share (4 held by the receiver), with a due backlog behind it.
        for (let i = 0; i < 3; i++) await doc();
        await eventually(() => held().length === 4, 10_000);
        await sleep(200);
        const b = await accountWithWebhooks(env(), rx, ['/b'], { retrySchedule: [1] });
        await b.doc();
        await eventually(() => rx.on('/b').length === 1, 10_000);
        const first = rx.on('/b')[0].at;
        const deadline = first + 5_000;
        while (Date.now() < deadline && rx.on('/b').length < 2) {
          if (busyCommits) await doc();
          await sleep(250);
        }
        expect(rx.on('/b')).toHaveLength(2);
        // Due 1 s after the first attempt (jitter aside); the poll is a minute away.
        expect(rx.on('/b')[1].at - first).toBeLessThan(3_000);
        expect(rx.on('/b')[1].headers['webhook-id']).toBe(rx.on('/b')[0].headers['webhook-id']);
      });
    },
    { dispatcher: { pollMs: 60_000, leaseMs: 20_000, concurrency: 8, accountShare: 4 } },
  );
}

/**
 * The dispatcher is full (busy account A holds 7 of 8 slots, X the last one) when a delivery of a
 * third account is retried by hand. A's endpoint then trips its breaker, and its queued deliveries
 * are given back: that room must bring the retried delivery out at once, though A stays at its share.
 */
describeEachDb(
  'room made by a breaker while the dispatcher was full',
  (env) => {
    let rx: Receiver;
    const gate = latch();
    const failGate = latch();
    const s2: Array<() => void> = [];
    let s1Requests = 0;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        if (r.path === '/c') return { status: 200, body: '{}' };
        if (r.path === '/s1') return s1Requests++ === 0 ? { status: 500, body: 'no', hold: failGate.promise } : { status: 200, hold: gate.promise };
        if (r.path === '/s2') {
          const l = latch();
          s2.push(l.open);
          return { status: 200, hold: Promise.race([l.promise, gate.promise]) };
        }
        return { status: 200, hold: gate.promise };
      });
    });
    afterAll(async () => {
      gate.open();
      failGate.open();
      await rx.close();
    });

    it('sends the retried delivery as soon as the pause gives slots back', async () => {
      const account = (paths: string[]) => accountWithWebhooks(env(), rx, paths);
      const c = await account(['/c']);
      await c.doc();
      await eventually(() => rx.on('/c').length === 1, 10_000);
      const a = await account(['/s1', '/s2']);
      const x = await account(['/x']);
      await a.doc();
      await a.doc();
      await eventually(() => rx.on('/s1').length === 2 && rx.on('/s2').length === 2, 10_000);
      for (let i = 0; i < 3; i++) await a.doc();
      await x.doc();
      await eventually(() => rx.on('/x').length === 1, 10_000);
      await sleep(200);
      // One of A's requests completes: A drops below its share, a claim brings more of its backlog,
      // and A's 7 with X's 1 fill the dispatcher.
      s2[0]();
      await eventually(() => rx.on('/s2').length === 3, 10_000);
      await sleep(300);
      const row = await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', c.acc.id).executeTakeFirstOrThrow();
      await call(env(), c.acc, 'POST', `/api/v1/deliveries/${row.id}/retry`, undefined, 202);
      await sleep(300);
      expect(rx.on('/c')).toHaveLength(1); // full: it waits
      // S1 answers 500: its breaker opens and its queued deliveries are given back.
      failGate.open();
      await eventually(() => rx.on('/c').length === 2, 4_000);
    });
  },
  { dispatcher: { pollMs: 60_000, leaseMs: 20_000, concurrency: 8, accountShare: 4, breaker: { threshold: 1, cooldownMs: 60_000, maxCooldownMs: 60_000 } } },
);
