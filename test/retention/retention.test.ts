import { expect, it } from 'vitest';
import { days, DEFAULT_RETENTION } from '../../src/retention/policy.js';
import { pruneExpired } from '../../src/retention/prune.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, product, warehouse } from '../support/fixtures.js';
import { insertAttempt } from '../support/store-rows.js';
import { eventually } from '../support/wait.js';

/*
 * Retention (issue 14.2): expired events, finished deliveries, failed deliveries nobody retried and
 * attempt logs are deleted in batches, exactly those; paging and replay from before the pruned
 * history get 410 HISTORY_PRUNED saying where history starts; /metrics shows the rows pruned and
 * the database size. Defaults: events 90 days, deliveries and attempts 30 days.
 */

const T0 = Date.parse('2026-06-01T00:00:00Z');

type Env = () => TestEnv;

const eventsOf = (env: TestEnv, a: TestAccount) =>
  env.store.db.selectFrom('events').select(['id', 'seq', 'occurred_ms']).where('account_id', '=', a.id).orderBy('seq').execute();

const deliveriesOf = (env: TestEnv, a: TestAccount, from: number, to: number) =>
  env.store.db
    .selectFrom('deliveries')
    .select(['id', 'webhook_id'])
    .where('account_id', '=', a.id)
    .where('created_ms', '>=', from)
    .where('created_ms', '<', to)
    .orderBy('id')
    .execute();

async function finish(env: TestEnv, ids: string[], status: 'succeeded' | 'failed', completedMs: number): Promise<void> {
  if (ids.length > 0) await env.store.db.updateTable('deliveries').set({ status, completed_ms: completedMs }).where('id', 'in', ids).execute();
}

/** Three eras of writes: T0 (100 days before now), T0 + 40 days, and now (T0 + 100 days). */
async function history(env: Env, clock: { ms: number }) {
  clock.ms = T0;
  const a = await env().newAccount();
  const hook = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook' }, 201)).body;
  const w = await warehouse(env(), a);
  const p = await product(env(), a);
  const b = await env().newAccount();
  await warehouse(env(), b);
  clock.ms = T0 + days(40);
  await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] }, 201);
  clock.ms = T0 + days(100);
  await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3 }] }, 201);
  const c = await env().newAccount();
  await warehouse(env(), c);
  return { a, b, c, hook, now: clock.ms };
}

const clock = { ms: T0 };

describeEachDb(
  'retention: pruning',
  (env) => {
    it('deletes exactly the expired events, deliveries and attempts, in batches, and says where history starts', async () => {
      const { a, b, c, hook, now } = await history(env, clock);
      const old = await deliveriesOf(env(), a, T0, T0 + 1);
      const mid = await deliveriesOf(env(), a, T0 + days(40), T0 + days(40) + 1);
      const young = await deliveriesOf(env(), a, now, now + 1);
      expect([old.length >= 2, mid.length >= 2, young.length >= 2]).toEqual([true, true, true]);
      // Old: one succeeded, the rest failed and never retried (both older than the events' 90 days).
      await finish(env(), [old[0].id], 'succeeded', T0);
      await finish(env(), old.slice(1).map((d) => d.id), 'failed', T0);
      // 60 days old: a failed one is kept for a retry, succeeded ones are past their 30 days.
      await finish(env(), [mid[0].id], 'failed', T0 + days(40));
      await finish(env(), mid.slice(1).map((d) => d.id), 'succeeded', T0 + days(40));
      // Young: one succeeded today, the rest pending.
      await finish(env(), [young[0].id], 'succeeded', now);
      const withOld = await insertAttempt(env().store, { id: old[0].id, accountId: a.id, webhookId: old[0].webhook_id }, T0);
      const expiredAttempt = await insertAttempt(env().store, { id: mid[0].id, accountId: a.id, webhookId: mid[0].webhook_id }, T0 + days(40));
      const keptAttempts = [await insertAttempt(env().store, { id: mid[0].id, accountId: a.id, webhookId: mid[0].webhook_id }, now - days(29)), await insertAttempt(env().store, { id: young[1].id, accountId: a.id, webhookId: young[1].webhook_id }, now)];

      const eventsBefore = await eventsOf(env(), a);
      const oldEvents = eventsBefore.filter((e) => Number(e.occurred_ms) < now - days(90));
      expect(oldEvents.length).toBeGreaterThanOrEqual(2);
      const deliveriesBefore = Number((await env().store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

      const counts = await pruneExpired(env().store, now, DEFAULT_RETENTION, 2);
      expect(counts).toEqual({
        events: oldEvents.length + 1, // and account b's warehouse event
        deliveries: old.length + mid.length - 1,
        attempts: 2,
        source_requests: 0,
        source_deliveries: 0,
      });
      expect(await eventsOf(env(), a)).toEqual(eventsBefore.filter((e) => !oldEvents.includes(e)));
      expect(await eventsOf(env(), b)).toEqual([]);
      const kept = await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', a.id).orderBy('id').execute();
      expect(kept.map((d) => d.id)).toEqual([mid[0].id, ...young.map((d) => d.id)].sort());
      expect(deliveriesBefore - counts.deliveries).toBe(
        Number((await env().store.db.selectFrom('deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
      );
      const attempts = await env().store.db.selectFrom('attempts').select('id').where('account_id', '=', a.id).orderBy('id').execute();
      expect(attempts.map((x) => Number(x.id))).toEqual(keptAttempts);
      expect(attempts.map((x) => Number(x.id))).not.toContain(withOld);
      expect(attempts.map((x) => Number(x.id))).not.toContain(expiredAttempt);
      // A second round finds nothing.
      expect(await pruneExpired(env().store, now, DEFAULT_RETENTION, 2)).toEqual({ events: 0, deliveries: 0, attempts: 0, source_requests: 0, source_deliveries: 0 });

      // Paging from before the pruned history is a clear 410; from where it starts, every kept event.
      const horizon = Math.max(...oldEvents.map((e) => Number(e.seq)));
      const gone = await call(env(), a, 'GET', '/api/v1/events?after=0', undefined, 410);
      expect(gone.body.error).toMatchObject({ code: 'HISTORY_PRUNED', details: { after: 0, oldestAfter: horizon } });
      const page = await call(env(), a, 'GET', `/api/v1/events?after=${horizon}`, undefined, 200);
      expect(page.body.data.map((e: any) => e.seq)).toEqual(eventsBefore.filter((e) => !oldEvents.includes(e)).map((e) => Number(e.seq)));
      expect((await call(env(), b, 'GET', '/api/v1/events?after=0', undefined, 410)).body.error.details.oldestAfter).toBe(1);
      expect((await call(env(), c, 'GET', '/api/v1/events?after=0', undefined, 200)).body.data.length).toBeGreaterThan(0);

      // Replay says how far back it can go.
      const tooFar = await call(env(), a, 'POST', `/api/v1/webhooks/${hook.id}/replay`, { since: new Date(T0 - days(1)).toISOString() }, 410);
      expect(tooFar.body.error).toMatchObject({ code: 'HISTORY_PRUNED', details: { availableSince: new Date(T0 + 1).toISOString() } });
      // A replay inside the kept history: every event since then, sent again, and none from before
      // (the events of 60 days ago are kept but earlier than `since`).
      const since = T0 + days(41);
      const keptSince = (await eventsOf(env(), a)).filter((e) => Number(e.occurred_ms) >= since);
      expect(keptSince.length).toBeGreaterThanOrEqual(2);
      expect((await eventsOf(env(), a)).length).toBeGreaterThan(keptSince.length);
      const hookDeliveries = () => env().store.db.selectFrom('deliveries').select(['id', 'event_id']).where('webhook_id', '=', hook.id).execute();
      const beforeReplay = new Set((await hookDeliveries()).map((d) => d.id));
      const started = await call(env(), a, 'POST', `/api/v1/webhooks/${hook.id}/replay`, { since: new Date(since).toISOString() }, 202);
      expect(started.body).toMatchObject({ webhookId: hook.id, since: new Date(since).toISOString(), eventsTotal: keptSince.length, error: null });
      const done = await eventually(async () => {
        const r = (await call(env(), a, 'GET', `/api/v1/replays/${started.body.id}`, undefined, 200)).body;
        return r.status !== 'running' && r;
      });
      expect(done).toMatchObject({ status: 'done', eventsTotal: keptSince.length, eventsDone: keptSince.length, deliveries: keptSince.length, error: null });
      const replayed = (await hookDeliveries()).filter((d) => !beforeReplay.has(d.id));
      expect(replayed.map((d) => d.event_id).sort()).toEqual(keptSince.map((e) => e.id).sort());
    });

    it('a finished delivery is kept for its period from when it finished, not from when it was created', async () => {
      clock.ms = T0;
      const a = await env().newAccount();
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/hook' }, 201);
      await warehouse(env(), a);
      await product(env(), a);
      const now = T0 + days(100);
      const created = await deliveriesOf(env(), a, T0, T0 + 1);
      expect(created.length).toBeGreaterThanOrEqual(2);
      // All created 100 days ago: one finished then, one finished 5 days ago after its retries.
      const [finishedLongAgo, finishedLately] = created;
      await finish(env(), [finishedLongAgo.id], 'succeeded', T0 + 1);
      await finish(env(), [finishedLately.id], 'succeeded', now - days(5));
      await pruneExpired(env().store, now, { eventsMs: 0, deliveriesMs: days(30), attemptsMs: 0 });
      const kept = await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', a.id).orderBy('id').execute();
      expect(kept.map((d) => d.id)).toEqual(created.filter((d) => d.id !== finishedLongAgo.id).map((d) => d.id));
    });

    it('a period of 0 keeps rows forever', async () => {
      const { now } = await history(env, clock);
      const forever = { eventsMs: 0, deliveriesMs: 0, attemptsMs: 0 };
      expect(await pruneExpired(env().store, now + days(10_000), forever)).toEqual({ events: 0, deliveries: 0, attempts: 0, source_requests: 0, source_deliveries: 0 });
    });
  },
  { now: () => clock.ms },
);

const bgClock = { ms: T0 };

describeEachDb(
  'retention: in the background, with metrics',
  (env) => {
    it('the API process prunes on its own and /metrics counts the rows and shows the database size', async () => {
      const { a } = await history(env, bgClock);
      const admin = { authorization: `Bearer ${env().adminToken}` };
      const metric = async (name: string) => {
        const text = (await env().app.inject({ method: 'GET', url: '/metrics', headers: admin })).body;
        const line = text.split('\n').find((l) => l.startsWith(name));
        return line === undefined ? undefined : Number(line.split(' ').pop());
      };
      await eventually(async () => ((await metric('stockhook_rows_pruned_total{table="events"}')) ?? 0) > 0, 10_000);
      expect(await metric('stockhook_database_size_bytes')).toBeGreaterThan(10_000);
      expect((await call(env(), a, 'GET', '/api/v1/events?after=0', undefined, 410)).body.error.code).toBe('HISTORY_PRUNED');
    });
  },
  { now: () => bgClock.ms, retention: { policy: DEFAULT_RETENTION, intervalMs: 50 } },
);
