import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDispatcher, createDomain } from '../../src/domain.js';
import { EndpointBreakers } from '../../src/delivery/breaker/index.js';
import type { Breakers } from '../../src/delivery/breaker/local.js';
import type { Dispatcher } from '../../src/delivery/dispatcher.js';
import { openStore, type Store } from '../../src/storage/database.js';
import { ADMIN_TOKEN, describeEachDb, TEST_PUBLIC_URL } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';
import { heldTransaction } from '../support/store-rows.js';

const BREAKER = { threshold: 3, cooldownMs: 600, maxCooldownMs: 1200 };

/**
 * Two workers (the test env's dispatcher, and a second one on its own connection, as another
 * process would be) share one endpoint's circuit breaker through the database: the second worker
 * learns of a pause the first opened, and at every reopen exactly one probe goes out.
 */
describeEachDb(
  'the circuit breaker is shared by every worker',
  (env, db) => {
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

    it('at a reopen one worker takes the probe; another is held until that probe’s lease runs out', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/probe-owner'), events: ['document.posted'] }, 201)).body;
      // A pause an hour ahead of the real clock, so the env's own dispatcher never reaches its reopen;
      // the two workers here are told the time.
      const until = Date.now() + 3_600_000;
      await env().store.db.updateTable('webhooks').set({ paused_until_ms: until, pause_cooldown_ms: 600 }).where('id', '=', sub.id).execute();
      const LEASE = 10_000;
      const worker = (owner: string) => new EndpointBreakers(env().store, { owner, leaseMs: LEASE, breaker: BREAKER, log: () => {} });
      const [w1, w2] = [worker('probe-w1'), worker('probe-w2')];
      const probe = () => env().store.db.selectFrom('webhooks').select(['probe_owner', 'probe_until_ms']).where('id', '=', sub.id).executeTakeFirstOrThrow();
      // Paused: both are held.
      expect(await w1.blocked(until - 1)).toContain(sub.id);
      expect(await w2.blocked(until - 1)).toContain(sub.id);
      // Reopened: the first to read takes the probe; the other is held while that probe's lease lasts.
      expect(await w1.blocked(until + 1000)).not.toContain(sub.id);
      expect(await probe()).toEqual({ probe_owner: 'probe-w1', probe_until_ms: expect.anything() });
      expect(Number((await probe()).probe_until_ms)).toBe(until + 1000 + LEASE);
      expect(await w2.blocked(until + 2000)).toContain(sub.id);
      expect((await probe()).probe_owner).toBe('probe-w1');
      // A worker that first reads the row once the probe is taken is held by the row alone: its own
      // breaker stays closed, with nothing to probe. The prober mirrors the pause (its probe goes out from there).
      const w3 = worker('probe-w3');
      expect(await w3.blocked(until + 2000)).toContain(sub.id);
      expect([w1.paused(), w3.paused()]).toEqual([[sub.id], []]);
      expect(await w1.blocked(until + 3000)).not.toContain(sub.id);
      // A prober that died: once its lease is over, the other worker takes the probe.
      expect(await w2.blocked(until + 1000 + LEASE + 1)).not.toContain(sub.id);
      expect((await probe()).probe_owner).toBe('probe-w2');
    });

    it('a delivery handed to a worker whose own breaker is open is given back until the reopen, then goes out as its probe', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/handed-while-open'), events: ['document.posted'] }, 201)).body;
      // This worker's breaker opens while no pause row says so yet (its write still to come), so the
      // write below hands its delivery to this worker rather than leaving it to a claim.
      const local = (env().dispatcher!.breakers as unknown as { local: Breakers }).local;
      let reopenAt: number | null = null;
      for (let i = 0; i < BREAKER.threshold; i++) reopenAt = local.record(sub.id, false, Date.now());
      expect(reopenAt).not.toBeNull();
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      const attemptsOf = () =>
        env().store.db.selectFrom('attempts').innerJoin('deliveries', 'deliveries.id', 'attempts.delivery_id')
          .select(['attempts.attempt_no', 'attempts.started_ms', 'attempts.outcome']).where('deliveries.webhook_id', '=', sub.id).execute();
      const attempts = await eventually(async () => {
        const rows = await attemptsOf();
        return rows.length > 0 && rows;
      }, 10_000, 10);
      expect(rx.on('/handed-while-open')).toHaveLength(1);
      // Sent once, as the probe after the reopen: not before it, and not held in the queue for good.
      expect(attempts.map((r) => [r.attempt_no, r.outcome])).toEqual([[1, 'succeeded']]);
      expect(Number(attempts[0].started_ms)).toBeGreaterThanOrEqual(reopenAt!);
    });

    it('recorded answers what changed and shares it: a pause written for every worker, a probe’s success lifting it; a vendor format writes nothing', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/recorded'), events: ['document.posted'] }, 201)).body;
      const row = () => env().store.db.selectFrom('webhooks').select(['paused_until_ms', 'pause_cooldown_ms']).where('id', '=', sub.id).executeTakeFirstOrThrow();
      // Far from the real clock, so the env's own dispatcher never reads this pause as over.
      const T = Date.now() + 3_600_000;
      const b = new EndpointBreakers(env().store, { owner: 'recorded-w', leaseMs: 10_000, breaker: BREAKER, log: () => {} });
      // A vendor format's failures never pause, however many.
      for (let i = 0; i < 5; i++) expect(await b.recorded(sub.id, false, T, false)).toEqual({ change: null });
      expect([b.state(sub.id, T), await row()]).toEqual(['closed', { paused_until_ms: null, pause_cooldown_ms: null }]);
      // Below the threshold nothing changes; the third failure opens it and writes the pause.
      expect(await b.recorded(sub.id, false, T, true)).toEqual({ change: null });
      expect(await b.recorded(sub.id, false, T, true)).toEqual({ change: null });
      expect(await b.recorded(sub.id, false, T, true)).toEqual({ change: 'paused', reopenAt: T + 600, cooldownMs: 600 });
      const written = await row();
      expect([Number(written.paused_until_ms), Number(written.pause_cooldown_ms)]).toEqual([T + 600, 600]);
      // Other tests' endpoints may be paused too: only this one's answer counts.
      const held = async (now: number) => (await b.blocked(now)).includes(sub.id);
      expect([await held(T + 1), b.maySend(sub.id, T + 1)]).toEqual([true, { send: false, giveBackUntil: T + 600 }]);
      // Reopened: this worker takes the probe, sends it, and its success lifts the pause for all.
      expect(await held(T + 600)).toBe(false);
      expect(b.maySend(sub.id, T + 600)).toEqual({ send: true });
      expect(await b.recorded(sub.id, true, T + 601, true)).toEqual({ change: 'resumed' });
      expect([b.state(sub.id, T + 601), await row()]).toEqual(['closed', { paused_until_ms: null, pause_cooldown_ms: null }]);
    });

    // PostgreSQL only: there another session's row lock holds the pause's write back while this
    // worker reads, which no SQLite connection of one test process reproduces reliably.
    // Registered on PostgreSQL alone: CI counts a skipped test as a failure.
    if (db === 'postgres') it('a pause this worker opened and is still writing is not forgotten by a read made in between', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/publishing'), events: ['document.posted'] }, 201)).body;
      const held = await heldTransaction(env().store, (_s, tx) => tx.updateTable('webhooks').set({ updated_ms: 1 }).where('id', '=', sub.id).execute());
      const at = Date.now() + 3_600_000;
      const w = new EndpointBreakers(env().store, { owner: 'publishing-w', leaseMs: 10_000, breaker: BREAKER, log: () => {} });
      expect(await w.recorded(sub.id, false, at, true)).toEqual({ change: null });
      expect(await w.recorded(sub.id, false, at + 1, true)).toEqual({ change: null });
      const opening = w.recorded(sub.id, false, at + 2, true);
      try {
        // The row does not show the pause yet (its write waits for the lock); a read of the rows made
        // meanwhile finds no pause there, and this worker's breaker keeps it all the same.
        await w.blocked(at + 3);
        expect(w.state(sub.id, at + 3)).toBe('open');
      } finally {
        await held.commit();
      }
      expect(await opening).toEqual({ change: 'paused', reopenAt: at + 2 + BREAKER.cooldownMs, cooldownMs: BREAKER.cooldownMs });
    });

    it("a worker that sent nothing to the endpoint learns at its next read that another worker's probe lifted the pause", async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/lifted'), events: ['document.posted'] }, 201)).body;
      const until = Date.now() + 3_600_000;
      await env().store.db.updateTable('webhooks').set({ paused_until_ms: until, pause_cooldown_ms: 600 }).where('id', '=', sub.id).execute();
      const worker = (owner: string) => new EndpointBreakers(env().store, { owner, leaseMs: 10_000, breaker: BREAKER, log: () => {} });
      const [w1, w2] = [worker('lifted-w1'), worker('lifted-w2')];
      expect(await w2.blocked(until - 1000)).toContain(sub.id);
      expect(w2.state(sub.id, until - 1000)).toBe('open');
      expect(await w1.blocked(until + 1)).not.toContain(sub.id);
      expect(w1.maySend(sub.id, until + 1)).toEqual({ send: true });
      expect(await w1.recorded(sub.id, true, until + 50, true)).toEqual({ change: 'resumed' });
      expect(await w2.blocked(until + 100)).not.toContain(sub.id);
      expect(w2.state(sub.id, until + 100)).toBe('closed');
    });

    it("the worker that opened a pause also learns at its next read that another worker's probe lifted it", async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/opened-here'), events: ['document.posted'] }, 201)).body;
      const T = Date.now() + 3_600_000;
      const worker = (owner: string) => new EndpointBreakers(env().store, { owner, leaseMs: 10_000, breaker: BREAKER, log: () => {} });
      const [opener, prober] = [worker('opened-w1'), worker('opened-w2')];
      for (let i = 0; i < BREAKER.threshold - 1; i++) expect(await opener.recorded(sub.id, false, T, true)).toEqual({ change: null });
      expect(await opener.recorded(sub.id, false, T, true)).toMatchObject({ change: 'paused', reopenAt: T + BREAKER.cooldownMs });
      const reopen = T + BREAKER.cooldownMs;
      expect(await prober.blocked(reopen)).not.toContain(sub.id);
      expect(prober.maySend(sub.id, reopen)).toEqual({ send: true });
      expect(await prober.recorded(sub.id, true, reopen + 10, true)).toEqual({ change: 'resumed' });
      // The opener's own breaker is half-open by now; the shared row says the pause is over.
      expect(await opener.blocked(reopen + 20)).not.toContain(sub.id);
      expect(opener.state(sub.id, reopen + 20)).toBe('closed');
    });

    it('a prober whose probe lease ran out renews it at its next read, so no second worker probes beside it', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/renew'), events: ['document.posted'] }, 201)).body;
      const until = Date.now() + 3_600_000;
      await env().store.db.updateTable('webhooks').set({ paused_until_ms: until, pause_cooldown_ms: 600 }).where('id', '=', sub.id).execute();
      const LEASE = 10_000;
      const worker = (owner: string) => new EndpointBreakers(env().store, { owner, leaseMs: LEASE, breaker: BREAKER, log: () => {} });
      const [w1, w2] = [worker('renew-w1'), worker('renew-w2')];
      const probe = async () => {
        const r = await env().store.db.selectFrom('webhooks').select(['probe_owner', 'probe_until_ms']).where('id', '=', sub.id).executeTakeFirstOrThrow();
        return [r.probe_owner, Number(r.probe_until_ms)];
      };
      expect(await w1.blocked(until + 1)).not.toContain(sub.id);
      expect(await probe()).toEqual(['renew-w1', until + 1 + LEASE]);
      // Its probe outlived the lease (a slow endpoint): reading again, it holds the probe anew.
      const later = until + 1 + LEASE + 1;
      expect(await w1.blocked(later)).not.toContain(sub.id);
      expect(await probe()).toEqual(['renew-w1', later + LEASE]);
      expect(await w2.blocked(later + 1)).toContain(sub.id);
    });

    it('a worker mirrors a shared pause into its own breaker, with its cooldown; the worker that takes the probe lets one request out', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/mirror'), events: ['document.posted'] }, 201)).body;
      // An hour ahead of the real clock, so the env's own dispatcher never reaches the reopen.
      const until = Date.now() + 3_600_000;
      await env().store.db.updateTable('webhooks').set({ paused_until_ms: until, pause_cooldown_ms: 500 }).where('id', '=', sub.id).execute();
      const worker = (owner: string) => new EndpointBreakers(env().store, { owner, leaseMs: 10_000, breaker: BREAKER, log: () => {} });
      const r = worker('mirror-reader');
      expect(await r.blocked(until - 1000)).toContain(sub.id);
      // Mirrored: open until the shared time (the cooldown the opener recorded shows below, doubled).
      expect(r.state(sub.id, until - 1000)).toBe('open');
      expect(r.reopenAt(sub.id)).toBe(until);
      // A worker that never saw the pause reads it after the reopen and takes the probe: its own
      // breaker is half-open, so exactly one request goes out, not its whole in-flight limit.
      const p = worker('mirror-prober');
      expect(await p.blocked(until + 1)).not.toContain(sub.id);
      expect(p.maySend(sub.id, until + 1)).toEqual({ send: true });
      expect(p.maySend(sub.id, until + 2).send).toBe(false);
      // The probe fails: the next shared pause is twice the recorded cooldown.
      expect(await p.recorded(sub.id, false, until + 10, true)).toEqual({ change: 'paused', reopenAt: until + 10 + 1000, cooldownMs: 1000 });
      const row = await env().store.db.selectFrom('webhooks').select(['paused_until_ms', 'pause_cooldown_ms', 'probe_owner']).where('id', '=', sub.id).executeTakeFirstOrThrow();
      expect([Number(row.paused_until_ms), Number(row.pause_cooldown_ms), row.probe_owner]).toEqual([until + 10 + 1000, 1000, null]);
    });

    it('a failure that comes back after the pause opened (sent before it) leaves the shared pause in place', async () => {
      const a = await env().newAccount();
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/late-failure'), events: ['document.posted'] }, 201)).body;
      const t = Date.now() + 3_600_000;
      const w = new EndpointBreakers(env().store, { owner: 'late-failure-w', leaseMs: 10_000, breaker: BREAKER, log: () => {} });
      expect(await w.recorded(sub.id, false, t, true)).toEqual({ change: null });
      expect(await w.recorded(sub.id, false, t + 1, true)).toEqual({ change: null });
      const reopenAt = t + 2 + BREAKER.cooldownMs;
      expect(await w.recorded(sub.id, false, t + 2, true)).toEqual({ change: 'paused', reopenAt, cooldownMs: BREAKER.cooldownMs });
      // Another request of the same burst fails while the endpoint is paused: nothing opens, nothing lifts.
      expect(await w.recorded(sub.id, false, t + 3, true)).toEqual({ change: null });
      const paused = async () => Number((await env().store.db.selectFrom('webhooks').select('paused_until_ms').where('id', '=', sub.id).executeTakeFirstOrThrow()).paused_until_ms);
      expect(await paused()).toBe(reopenAt);
    });
  },
  { dispatcher: { pollMs: 50, concurrency: 8, breaker: BREAKER } },
);
