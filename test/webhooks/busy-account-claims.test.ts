import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { accountWithWebhooks, call } from '../support/fixtures.js';
import { watchLoopRests } from '../support/loop-rests.js';
import { eventually, heldReceiver, latch, Receiver } from '../support/receiver.js';

const loop = watchLoopRests();
afterAll(() => loop.restore());
/** The dispatcher's loop has run every claim it was woken for and waits (support/loop-rests.ts). */
const atRest = () => eventually(() => loop.atRest, 10_000, 10, 'the dispatcher loop at rest');

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
      // The claims the setup writes woke the loop for are done before counting starts.
      await atRest();
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
        // Each commit woke the dispatcher (or not) before its response: a loop woken by one is busy
        // until it has run the claim it was woken for, and at rest only after it.
        await atRest();
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

      it('is sent when it is due, long before the poll', async () => {
        const { doc } = await accountWithWebhooks(env(), rx, ['/busy1', '/busy2']);
        const held = () => [...rx.on('/busy1'), ...rx.on('/busy2')];
        // A at its share (4 held by the receiver), with a due backlog behind it.
        for (let i = 0; i < 3; i++) await doc();
        await eventually(() => held().length === 4, 10_000);
        // The loop has said "nothing else due" and rests on its 10-minute poll.
        await atRest();
        const b = await accountWithWebhooks(env(), rx, ['/b'], { retrySchedule: [1] });
        await b.doc();
        await eventually(() => rx.on('/b').length === 1, 10_000);
        // Due 1 s after the first attempt (jitter aside); the poll is 10 minutes away, so only its
        // due time can bring it within this wait. The busy account commits meanwhile, or not.
        await eventually(
          async () => {
            if (busyCommits) await doc();
            return rx.on('/b').length === 2;
          },
          30_000,
          250,
          'the retry sent',
        );
        expect(rx.on('/b')).toHaveLength(2);
        expect(rx.on('/b')[1].headers['webhook-id']).toBe(rx.on('/b')[0].headers['webhook-id']);
      });
    },
    { dispatcher: { pollMs: 600_000, leaseMs: 20_000, concurrency: 8, accountShare: 4 } },
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
      await atRest();
      // One of A's requests completes: A drops below its share, a claim brings more of its backlog,
      // and A's 7 with X's 1 fill the dispatcher.
      s2[0]();
      await eventually(() => rx.on('/s2').length === 3, 10_000);
      // The claim that brought A's backlog is done: the dispatcher is full.
      await atRest();
      const row = await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', c.acc.id).executeTakeFirstOrThrow();
      const restsBefore = loop.rests;
      await call(env(), c.acc, 'POST', `/api/v1/deliveries/${row.id}/retry`, undefined, 202);
      // The retry woke the loop; at rest again, it has decided: full, so the retried delivery waits, unclaimed.
      await eventually(() => loop.rests > restsBefore && loop.atRest, 10_000, 10, 'the loop at rest after the retry');
      const waiting = await env().store.db.selectFrom('deliveries').select(['status', 'lease_owner']).where('id', '=', row.id).executeTakeFirstOrThrow();
      expect(waiting).toEqual({ status: 'pending', lease_owner: null });
      expect(rx.on('/c')).toHaveLength(1); // full: it waits
      // S1 answers 500: its breaker opens and its queued deliveries are given back.
      failGate.open();
      // The breaker's cooldown and the poll are a minute away: only the room it gave back sends it.
      await eventually(() => rx.on('/c').length === 2, 20_000);
    });
  },
  { dispatcher: { pollMs: 60_000, leaseMs: 20_000, concurrency: 8, accountShare: 4, breaker: { threshold: 1, cooldownMs: 60_000, maxCooldownMs: 60_000 } } },
);
