import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../support/env.js';
import { accountWithWebhooks, call, post, product, warehouse } from '../support/fixtures.js';
import { watchLoopRests } from '../support/loop-rests.js';
import { eventually, heldReceiver, Receiver } from '../support/receiver.js';

// One watch for the file: describeEachDb runs its body once per database.
const loop = watchLoopRests();
afterAll(() => loop.restore());

// Long enough that no heartbeat (every third of it, from the dispatcher's start) extends a lease
// while a test reads the rows, however slow the machine: an extended lease no longer shows it was
// taken in the row's own INSERT. Nothing here waits for a lease to run out.
const LEASE_MS = 600_000;

/**
 * Fresh deliveries are leased to this process's dispatcher in the INSERT that writes them and handed
 * to it after the commit (delivery/handoff/): no claim. Handing off stops at the dispatcher's
 * limit (its account share); what is not handed off is written unleased and claimed as before.
 */
describeEachDb(
  'handoff from the write to the dispatcher',
  (env) => {
    const held = heldReceiver();

    const rowsOf = (webhookId: string) =>
      env()
        .store.db.selectFrom('deliveries')
        .select(['id', 'status', 'attempts', 'lease_owner', 'next_attempt_ms', 'created_ms'])
        .where('webhook_id', '=', webhookId)
        .orderBy('created_ms')
        .execute();
    /** Leased in its own INSERT: a claim would have leased it later, from its own clock reading. */
    const handedOff = (r: { lease_owner: string | null; next_attempt_ms: number; created_ms: number }) =>
      r.lease_owner === env().dispatcher?.owner && Number(r.next_attempt_ms) === Number(r.created_ms) + LEASE_MS;

    it('leases fresh deliveries in their INSERT up to the dispatcher’s limit, claims the rest, and sends each once', async () => {
      held.hold();
      const { webhookIds: [sub], doc } = await accountWithWebhooks(env(), held.rx, ['/held']);
      for (let i = 0; i < 6; i++) await doc();
      // The receiver holds every answer; one endpoint may have half the account share (2) in flight.
      await eventually(() => held.rx.requests.filter((r) => r.url === '/held').length >= 2, 10_000);
      const rows = await rowsOf(sub);
      expect(rows).toHaveLength(6);
      // accountShare 4, nothing claimed yet: handed over and not finished + 1 <= 4 lets exactly the
      // first four through, however far the dispatcher got with them (a handed-off delivery it
      // holds counts once, not also as its load, which stopped handing off at two).
      expect(rows.map(handedOff)).toEqual([true, true, true, true, false, false]);
      held.release();
      await eventually(async () => (await rowsOf(sub)).every((r) => r.status === 'succeeded'), 15_000);
      const ids = held.rx.requests.filter((r) => r.url === '/held').map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(6); // each sent once: none handed off and claimed as well
      expect(new Set(ids).size).toBe(6);
      expect((await rowsOf(sub)).every((r) => r.attempts === 1 && r.lease_owner === null)).toBe(true);
    });

    it('hands off no more than the limit to writes in flight together, and sends every delivery once', async () => {
      held.hold();
      const { acc: a, warehouseId: w, webhookIds: [sub] } = await accountWithWebhooks(env(), held.rx, ['/together']);
      const ps: number[] = [];
      for (let i = 0; i < 12; i++) ps.push(await product(env(), a, { sku: `C-${i}`, code: `C${i}` }));
      // Twelve at once: on SQLite they share commit groups, on PostgreSQL they are concurrent
      // transactions. Each checked for room before any had added to the count, and 12 were handed
      // over at a limit of 4 (6-7 on PostgreSQL).
      await Promise.all(ps.map((p) => post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] })));
      const rows = await rowsOf(sub);
      expect(rows).toHaveLength(12);
      expect(rows.filter(handedOff)).toHaveLength(4);
      held.release();
      await eventually(async () => (await rowsOf(sub)).every((r) => r.status === 'succeeded'), 15_000);
      const ids = held.rx.requests.filter((r) => r.url === '/together').map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
    });

    it('gives back what a write leased when the write rolls back', async () => {
      held.hold();
      const { acc: a, warehouseId: w, productId: p, webhookIds: [sub], doc } = await accountWithWebhooks(env(), held.rx, ['/after-rollback']);
      // A hook after the fan-out's: each write leases its delivery, then fails, and rolls back.
      let failing = true;
      env().ctx.outbox.onWrite(async () => {
        if (failing) throw new Error('test: this write fails after its deliveries were leased');
      });
      try {
        for (let i = 0; i < 6; i++) await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 500);
      } finally {
        failing = false;
      }
      expect(await rowsOf(sub)).toHaveLength(0);
      // Six reservations kept would leave no room at a limit of 4: these would all be claimed.
      for (let i = 0; i < 4; i++) await doc();
      const rows = await rowsOf(sub);
      expect(rows.map(handedOff)).toEqual([true, true, true, true]);
      held.release();
      await eventually(async () => (await rowsOf(sub)).every((r) => r.status === 'succeeded'), 15_000);
      expect(held.rx.requests.filter((r) => r.url === '/after-rollback')).toHaveLength(4);
    });

    it('counts the deliveries the dispatcher claimed: at its limit in claimed work, a fresh delivery is written unleased', async () => {
      held.hold();
      held.release();
      const since = new Date(Date.now() - 60_000).toISOString();
      const { acc: a, webhookIds: [sub], doc } = await accountWithWebhooks(env(), held.rx, ['/claimed-load']);
      for (let i = 0; i < 4; i++) await doc();
      await eventually(async () => (await rowsOf(sub)).filter((r) => r.status === 'succeeded').length === 4, 15_000);
      // A replay's deliveries are never handed off: the dispatcher claims them (4, its account share)
      // and the endpoint takes 2 in flight, the answers held: a load of 4 claimed deliveries.
      held.hold();
      await call(env(), a, 'POST', `/api/v1/webhooks/${sub}/replay`, { since }, 202);
      // Requests at the receiver prove the claim was queued (and its load published) before they were sent.
      await eventually(() => held.rx.on('/claimed-load').length === 6, 10_000);
      await doc();
      const rows = await rowsOf(sub);
      expect(rows).toHaveLength(9);
      // Claimed load 4 + 0 handed over + 1 > 4: not handed off; and the account is at its share, so
      // no claim has taken it either.
      expect(rows[8].lease_owner).toBeNull();
      held.release();
      await eventually(async () => (await rowsOf(sub)).every((r) => r.status === 'succeeded'), 15_000);
      expect(held.rx.on('/claimed-load')).toHaveLength(9);
    });
  },
  { dispatcher: { pollMs: 100, leaseMs: LEASE_MS, concurrency: 8, accountShare: 4 } },
);

/**
 * Handed-off deliveries need no claim, and their completions must not cause one either: a short
 * claim says nothing is due until new work, the next due time or the poll (each completion used
 * to run a claim and a due-time read for nothing: two statements per delivery).
 */
describeEachDb(
  'sending handed-off deliveries claims nothing',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start(() => ({ status: 200, body: '{"ok":true}' }));
    });
    afterAll(async () => rx.close());

    it('twenty documents posted one after another are sent with at most a couple of claims', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/quiet'), format: 'native', events: ['stock.changed'] }, 201);
      // The claims the setup writes woke the loop for are done (support/loop-rests.ts).
      await eventually(() => loop.atRest, 10_000, 10, 'the dispatcher loop at rest');
      const executor = env().store.db.getExecutor();
      const run = executor.executeQuery.bind(executor);
      let claims = 0;
      executor.executeQuery = ((q: { sql: string }, ...rest: unknown[]) => {
        if (/^update "deliveries" set "next_attempt_ms" = .*"lease_owner" = /.test(q.sql)) claims++;
        return (run as (...a: unknown[]) => unknown)(q, ...rest);
      }) as typeof executor.executeQuery;
      try {
        for (let i = 0; i < 20; i++) {
          await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
          await eventually(() => rx.on('/quiet').length === i + 1, 10_000, 5);
        }
      } finally {
        executor.executeQuery = run;
      }
      expect(new Set(rx.on('/quiet').map((r) => r.headers['webhook-id'])).size).toBe(20);
      expect(claims).toBeLessThanOrEqual(2);
    });
  },
  { dispatcher: { leaseMs: LEASE_MS, concurrency: 8, accountShare: 4 } },
);
