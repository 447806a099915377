import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { Insertable } from 'kysely';
import type { Principal } from '../../src/accounts/tokens.js';
import { startReplay } from '../../src/delivery/replay.js';
import { AppError } from '../../src/errors.js';
import type { ReplayTable } from '../../src/storage/schema.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { deliveryRows, insertAttempt, insertDeliveries } from '../support/store-rows.js';
import { eventually } from '../support/wait.js';

/*
 * The delivery log's and the replays' public API (delivery/log.ts, delivery/replay.ts) at an
 * injected clock, on rows written straight into the store where the API only reads them: the list's
 * filters and cursor, the attempt log, each refused retry, test and replay (and that a refusal
 * changes nothing), a running replay whose heartbeat stopped, one whose subscription goes away
 * while it runs, and the replay list of one subscription.
 */

const NOW = 1_800_000_000_000;
const iso = (ms: number) => new Date(ms).toISOString();
const cursorOf = (raw: string) => Buffer.from(raw).toString('base64url');
const FREE = { code: 'PLAN_FORBIDS_WEBHOOKS', message: 'The free plan creates and sends no webhooks' };
const DISABLED = { code: 'INVALID_STATE', message: 'the subscription is disabled: enable it first' };
const DELETED = { code: 'INVALID_STATE', message: 'the subscription was deleted' };

async function hook(env: TestEnv, a: TestAccount, extra: object = {}): Promise<string> {
  return (await call(env, a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/x', ...extra }, 201)).body.id;
}

const ids = async (env: TestEnv, a: TestAccount, query: string): Promise<string[]> =>
  (await call(env, a, 'GET', `/api/v1/deliveries?${query}`, undefined, 200)).body.data.map((d: { id: string }) => d.id);

/** Newest first, ties by id descending: the list's order. */
const byLogOrder = (rows: Array<{ id: string; ms: number }>) => [...rows].sort((x, y) => y.ms - x.ms || (y.id < x.id ? -1 : 1)).map((r) => r.id);

describeEachDb(
  'delivery log and replay API',
  (env) => {
    it('filters the account log by event, time range, subscription and status, each bound exact', async () => {
      const a = await env().newAccount();
      const [w1, w2] = [await hook(env(), a), await hook(env(), a)];
      const [e1, e2, e3] = [randomUUID(), randomUUID(), randomUUID()];
      const spec = [
        { webhookId: w1, status: 'succeeded', createdMs: NOW - 5000, eventId: e1 },
        { webhookId: w1, status: 'failed', createdMs: NOW - 4000, eventId: e2 },
        { webhookId: w2, status: 'succeeded', createdMs: NOW - 4000, eventId: e1 },
        { webhookId: w2, status: 'failed', createdMs: NOW - 3000, eventId: e2 },
        { webhookId: w1, status: 'succeeded', createdMs: NOW - 2000, eventId: e1 },
        { webhookId: w1, status: 'pending', createdMs: NOW - 1000, eventId: e3 },
      ] as const;
      const d = await insertDeliveries(env().store, spec.map((s) => ({ ...s, accountId: a.id, due: NOW + 7000 })));
      // Another account's delivery of the same event is not in this account's log.
      const b = await env().newAccount();
      await insertDeliveries(env().store, [{ accountId: b.id, webhookId: await hook(env(), b), due: 0, createdMs: NOW - 2500, eventId: e1 }]);
      const order = (...i: number[]) => byLogOrder(i.map((k) => ({ id: d[k], ms: spec[k].createdMs })));

      expect(await ids(env(), a, '')).toEqual(order(0, 1, 2, 3, 4, 5));
      expect(await ids(env(), a, `eventId=${e1}`)).toEqual(order(0, 2, 4));
      expect(await ids(env(), a, `eventId=${e1}&webhookId=${w1}`)).toEqual(order(0, 4));
      expect(await ids(env(), a, `eventId=${e2}&status=failed`)).toEqual(order(1, 3));
      expect(await ids(env(), a, `webhookId=${w2}&status=succeeded`)).toEqual([d[2]]);
      expect(await ids(env(), a, `since=${iso(NOW - 4000)}`)).toEqual(order(1, 2, 3, 4, 5));
      expect(await ids(env(), a, `until=${iso(NOW - 2000)}`)).toEqual(order(0, 1, 2, 3));
      expect(await ids(env(), a, `since=${iso(NOW - 4000)}&until=${iso(NOW - 2000)}&webhookId=${w1}`)).toEqual([d[1]]);
      // A pending delivery shows when it is due; a finished one does not.
      const list = (await call(env(), a, 'GET', `/api/v1/deliveries?eventId=${e3}`, undefined, 200)).body;
      expect(list).toEqual({
        data: [
          {
            id: d[5], webhookId: w1, eventId: e3, eventType: 'stock.changed', status: 'pending', attempts: 0, nextAttemptAt: iso(NOW + 7000),
            lastStatusCode: null, lastError: null, createdAt: iso(NOW - 1000), completedAt: null, url: 'http://127.0.0.1:9/x',
          },
        ],
        nextCursor: null,
      });
      expect((await call(env(), a, 'GET', `/api/v1/deliveries?eventId=${e1}&status=succeeded&limit=1`, undefined, 200)).body.data[0].nextAttemptAt).toBeNull();
    });

    it('pages through the log with its cursor, each delivery once and in order, and refuses a cursor it did not make', async () => {
      const a = await env().newAccount();
      const w = await hook(env(), a);
      const times = [NOW - 5000, NOW - 4000, NOW - 4000, NOW - 3000, NOW - 2000, NOW - 1000];
      const d = await insertDeliveries(env().store, times.map((createdMs) => ({ accountId: a.id, webhookId: w, due: 0, createdMs })));
      const all = byLogOrder(d.map((id, i) => ({ id, ms: times[i] })));
      const walk = async (limit: number) => {
        const pages: string[][] = [];
        const cursors: Array<string | null> = [];
        let cursor: string | null = null;
        do {
          const page: { data: Array<{ id: string }>; nextCursor: string | null } = (
            await call(env(), a, 'GET', `/api/v1/deliveries?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, undefined, 200)
          ).body;
          pages.push(page.data.map((x) => x.id));
          cursors.push((cursor = page.nextCursor));
        } while (cursor);
        return { pages, cursors };
      };
      // Two pages end between the two deliveries of one millisecond: the id orders them.
      const two = await walk(2);
      expect(two.pages).toEqual([all.slice(0, 2), all.slice(2, 4), all.slice(4)]);
      expect(two.cursors).toEqual([cursorOf(`${NOW - 2000}:${all[1]}`), cursorOf(`${NOW - 4000}:${all[3]}`), null]);
      // A last page exactly full has no next cursor.
      expect((await walk(3)).pages).toEqual([all.slice(0, 3), all.slice(3)]);
      expect((await walk(6)).pages).toEqual([all]);

      const uuid = all[0];
      // An id in capitals is still an id; a time after every delivery lets all through.
      expect(await ids(env(), a, `cursor=${cursorOf(`${NOW}:${uuid.toUpperCase()}`)}&limit=10`)).toEqual(all);
      for (const raw of [
        `abc:${uuid}`,
        `x${NOW}:${uuid}`,
        `${NOW}x:${uuid}`,
        `:${uuid}`,
        `1234567890123456:${uuid}`,
        `${NOW}:not-a-uuid`,
        `${NOW}:x${uuid}`,
        `${NOW}:${uuid}0`,
        `${NOW}:`,
        `${NOW}`,
      ]) {
        const res = await call(env(), a, 'GET', `/api/v1/deliveries?cursor=${cursorOf(raw)}`);
        expect([raw, res.status, res.body]).toEqual([raw, 400, { error: { code: 'VALIDATION_FAILED', message: 'cursor is not valid', details: { field: 'cursor' } } }]);
      }
    });

    it('shows every attempt in order: the response or null, and the error with an empty message when none was stored', async () => {
      const a = await env().newAccount();
      const w = await hook(env(), a);
      const [id] = await insertDeliveries(env().store, [{ accountId: a.id, webhookId: w, status: 'failed', attempts: 3, due: 0, createdMs: NOW - 9000, completedMs: NOW - 1000 }]);
      const ref = { id, accountId: a.id, webhookId: w };
      // Written out of order: the log orders by attempt number.
      await insertAttempt(env().store, ref, NOW - 5000, {
        attempt_no: 2, durationMs: 10_000, request_headers: '{"content-type":"application/json"}', response_status: null, response_headers: null,
        response_body: null, error_kind: 'timeout', error_message: 'no answer within 10 s',
      });
      await insertAttempt(env().store, ref, NOW - 8000, { attempt_no: 1, durationMs: 7.456, response_headers: '{"content-type":"text/plain"}', response_body: 'boom' });
      await insertAttempt(env().store, ref, NOW - 2000, { attempt_no: 3, outcome: 'failed', response_status: 200, response_headers: null, response_body: null, error_kind: null });
      const request = (headers: Record<string, string>) => ({ url: 'http://127.0.0.1:9/x', headers, body: '{"row":0}' });
      expect((await call(env(), a, 'GET', `/api/v1/deliveries/${id}`, undefined, 200)).body).toEqual({
        id, webhookId: w, eventId: null, eventType: 'stock.changed', status: 'failed', attempts: 3, nextAttemptAt: null, lastStatusCode: null,
        lastError: null, createdAt: iso(NOW - 9000), completedAt: iso(NOW - 1000), url: 'http://127.0.0.1:9/x', body: '{"row":0}',
        attemptLog: [
          { attempt: 1, startedAt: iso(NOW - 8000), durationMs: 7.46, outcome: 'retry', request: request({}),
            response: { status: 500, headers: { 'content-type': 'text/plain' }, body: 'boom' }, error: { kind: 'bad_status', message: '' } },
          { attempt: 2, startedAt: iso(NOW - 5000), durationMs: 10_000, outcome: 'retry', request: request({ 'content-type': 'application/json' }),
            response: null, error: { kind: 'timeout', message: 'no answer within 10 s' } },
          { attempt: 3, startedAt: iso(NOW - 2000), durationMs: 5, outcome: 'failed', request: request({}), response: { status: 200, headers: {}, body: '' }, error: null },
        ],
      });
    });

    it('a retry is refused on the free plan, a disabled, removing or deleted subscription, a held or waiting delivery, and changes nothing then', async () => {
      const a = await env().newAccount();
      const w = await hook(env(), a);
      const [done, other, held] = await insertDeliveries(env().store, [
        { accountId: a.id, webhookId: w, status: 'failed', attempts: 2, due: NOW - 6000, createdMs: NOW - 9000, completedMs: NOW - 5000, owner: 'gone-worker' },
        { accountId: a.id, webhookId: w, status: 'succeeded', attempts: 1, due: NOW - 6000, createdMs: NOW - 9000, completedMs: NOW - 5000 },
        { accountId: a.id, webhookId: w, status: 'held', due: NOW - 6000, createdMs: NOW - 9000 },
      ]);
      const before = await deliveryRows(env().store, [done, other, held]);
      const retry = async (id: string, status: number) => (await call(env(), a, 'POST', `/api/v1/deliveries/${id}/retry`, undefined, status)).body.error;
      const setHook = (set: { enabled?: number; removing_ms?: number | null }) => env().store.db.updateTable('webhooks').set(set).where('id', '=', w).execute();
      const setPlan = (plan: 'free' | 'paid') => env().store.db.updateTable('accounts').set({ plan }).where('id', '=', a.id).execute();

      await setPlan('free');
      expect(await retry(done, 403)).toEqual(FREE);
      await setPlan('paid');
      // The row itself: enabling through the API would send the held delivery.
      await setHook({ enabled: 0 });
      expect(await retry(done, 422)).toEqual(DISABLED);
      await setHook({ enabled: 1 });
      // Being removed (an uninstalled application's) is as good as deleted.
      await setHook({ removing_ms: NOW });
      expect(await retry(done, 422)).toEqual(DELETED);
      await setHook({ removing_ms: null });
      expect(await retry(held, 422)).toEqual({ code: 'INVALID_STATE', message: 'the subscription is disabled: enable it to send its held deliveries' });
      expect(await deliveryRows(env().store, [done, other, held])).toEqual(before);

      // Accepted: due now, unleased, not completed, its attempt count going on.
      const sent = await call(env(), a, 'POST', `/api/v1/deliveries/${done}/retry`, undefined, 202);
      expect(sent.body).toMatchObject({ id: done, status: 'pending', attempts: 2, nextAttemptAt: iso(NOW), completedAt: null });
      const [row] = await deliveryRows(env().store, [done]);
      expect(row).toEqual({ ...before[0], status: 'pending', next_attempt_ms: row?.next_attempt_ms, completed_ms: null, lease_owner: null });
      expect(Number(row?.next_attempt_ms)).toBe(NOW);
      expect(await retry(done, 409)).toEqual({ code: 'CONFLICT', message: 'the delivery is already waiting to be sent' });

      await call(env(), a, 'DELETE', `/api/v1/webhooks/${w}`, undefined, 204);
      const [otherBefore] = await deliveryRows(env().store, [other]);
      expect(await retry(other, 422)).toEqual(DELETED);
      expect(await deliveryRows(env().store, [other])).toEqual([otherBefore]);
    });

    it('a test event to a disabled subscription is refused and writes no event and no delivery', async () => {
      const a = await env().newAccount();
      const w = await hook(env(), a, { enabled: false });
      expect((await call(env(), a, 'POST', `/api/v1/webhooks/${w}/test`, undefined, 422)).body.error).toEqual(DISABLED);
      expect(await env().store.db.selectFrom('events').select('type').where('account_id', '=', a.id).execute()).toEqual([]);
      expect(await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', a.id).execute()).toEqual([]);
    });

    it('a replay is refused on the free plan, for a since that is no date, and on a disabled subscription, and starts no job', async () => {
      const a = await env().newAccount();
      const w = await hook(env(), a);
      const off = await hook(env(), a, { enabled: false });
      const since = iso(NOW - 60_000);
      await env().store.db.updateTable('accounts').set({ plan: 'free' }).where('id', '=', a.id).execute();
      expect((await call(env(), a, 'POST', `/api/v1/webhooks/${w}/replay`, { since }, 403)).body.error).toEqual(FREE);
      await env().store.db.updateTable('accounts').set({ plan: 'paid' }).where('id', '=', a.id).execute();
      // The route's schema refuses a date-time Date.parse cannot read (a leap second) before the
      // replay sees it; called directly, a since that is no time is refused by the replay itself.
      expect((await call(env(), a, 'POST', `/api/v1/webhooks/${w}/replay`, { since: '2016-12-31T23:59:60Z' }, 400)).body.error.details).toEqual({
        fields: [{ field: 'body.since', message: 'must match format "date-time"' }],
      });
      const principal: Principal = {
        accountId: a.id, accountNumber: a.number, accountSlug: a.slug, plan: 'paid', tokenKind: 'user', applicationId: null, tokenId: 'tok_test', scope: 'write',
      };
      const refused = await startReplay(env().ctx, undefined as never, principal, w, Number.NaN).then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(AppError);
      const { code, status, message, details } = refused as AppError;
      expect({ code, status, message, details }).toEqual({ code: 'VALIDATION_FAILED', status: 400, message: 'since must be an ISO date-time', details: { field: 'since' } });
      expect((await call(env(), a, 'POST', `/api/v1/webhooks/${off}/replay`, { since }, 422)).body.error).toEqual(DISABLED);
      expect(await env().store.db.selectFrom('replays').select('id').where('account_id', '=', a.id).execute()).toEqual([]);
    });

    it('a running replay whose heartbeat is over a minute old is interrupted, and no longer holds its subscription’s one replay', async () => {
      const a = await env().newAccount();
      const [w1, w2, w3] = [await hook(env(), a), await hook(env(), a), await hook(env(), a)];
      const job = (webhookId: string, over: Partial<Insertable<ReplayTable>>): Insertable<ReplayTable> => ({
        id: randomUUID(), account_id: a.id, webhook_id: webhookId, since_ms: NOW - 600_000, status: 'running', events_total: 4, events_done: 2,
        deliveries: 2, error: null, started_ms: NOW - 300_000, heartbeat_ms: NOW, finished_ms: null, ...over,
      });
      const rows = [
        job(w1, { heartbeat_ms: NOW - 60_001 }),
        job(w2, { heartbeat_ms: NOW - 60_000 }),
        job(w2, { status: 'done', heartbeat_ms: NOW - 200_000, finished_ms: NOW - 200_000, events_done: 4 }),
        job(w3, { heartbeat_ms: NOW - 59_999 }),
      ];
      await env().store.db.insertInto('replays').values(rows).execute();
      const view = async (id: string) => (await call(env(), a, 'GET', `/api/v1/replays/${id}`, undefined, 200)).body;
      expect(await view(rows[0].id)).toEqual({
        id: rows[0].id, webhookId: w1, status: 'interrupted', since: iso(NOW - 600_000), eventsTotal: 4, eventsDone: 2, deliveries: 2, error: null,
        startedAt: iso(NOW - 300_000), finishedAt: null,
      });
      expect((await view(rows[1].id)).status).toBe('running');
      expect(await view(rows[2].id)).toMatchObject({ status: 'done', finishedAt: iso(NOW - 200_000) });
      // The interrupted one does not count against the limit of one; one shown running does, at a minute to the millisecond too.
      const started = await call(env(), a, 'POST', `/api/v1/webhooks/${w1}/replay`, { since: iso(NOW - 1000) }, 202);
      expect((await call(env(), a, 'POST', `/api/v1/webhooks/${w2}/replay`, { since: iso(NOW - 1000) }, 409)).body.error.code).toBe('CONFLICT');
      expect((await call(env(), a, 'POST', `/api/v1/webhooks/${w3}/replay`, { since: iso(NOW - 1000) }, 409)).body.error.code).toBe('CONFLICT');
      await eventually(async () => (await view(started.body.id)).status === 'done');
    });

    it('a replay whose subscription is deleted or being removed before its first page ends failed, having written nothing', async () => {
      const a = await env().newAccount();
      const [gone, removing] = [await hook(env(), a, { events: ['document.posted'] }), await hook(env(), a, { events: ['document.posted'] })];
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await env().store.db.deleteFrom('deliveries').where('account_id', '=', a.id).execute();
      // Each job's first read of the events waits until both subscriptions are gone.
      const store = env().ctx.store;
      const reader = store.eventReader;
      let open = () => {};
      const gate = new Promise<void>((resolve) => (open = resolve));
      let waiting = 0;
      store.eventReader = async () => {
        waiting++;
        await gate;
        return reader();
      };
      let jobs: string[];
      try {
        jobs = [];
        for (const id of [gone, removing]) jobs.push((await call(env(), a, 'POST', `/api/v1/webhooks/${id}/replay`, { since: iso(NOW - 1000) }, 202)).body.id);
        await eventually(() => waiting === 2);
        await call(env(), a, 'DELETE', `/api/v1/webhooks/${gone}`, undefined, 204);
        await env().store.db.updateTable('webhooks').set({ removing_ms: NOW }).where('id', '=', removing).execute();
      } finally {
        store.eventReader = reader;
        open();
      }
      // Counted at the start: the account's four events so far; none was read into a page.
      for (const id of jobs) {
        const job = await eventually(async () => {
          const j = (await call(env(), a, 'GET', `/api/v1/replays/${id}`, undefined, 200)).body;
          return j.status !== 'running' && j;
        });
        expect(job).toMatchObject({ status: 'failed', error: 'the subscription was deleted', eventsTotal: 4, eventsDone: 0, deliveries: 0, finishedAt: iso(NOW) });
      }
      expect(await env().store.db.selectFrom('deliveries').select('id').where('account_id', '=', a.id).execute()).toEqual([]);
    });

    it('a replay of more events than one page reads each event once across the pages, and neither counts nor sends test webhooks', async () => {
      const a = await env().newAccount();
      const w = await hook(env(), a);
      // 501 events after `since` (one page is 500) plus a test webhook's event among them; the account's
      // own events (its subscription's creation, at NOW) are before `since`.
      const since = NOW + 1;
      const rows = Array.from({ length: 502 }, (_, i) => ({
        id: randomUUID(), account_id: a.id, seq: 100_000 + i, type: i === 300 ? 'webhook.test' : 'warehouse.created', object: i === 300 ? 'webhook' : 'warehouse',
        object_id: String(i), action: i === 300 ? 'test' : 'created', occurred_ms: since + i, data: '{}',
      }));
      await env().store.db.insertInto('events').values(rows).execute();
      const started = (await call(env(), a, 'POST', `/api/v1/webhooks/${w}/replay`, { since: iso(since) }, 202)).body;
      expect(started).toMatchObject({ status: 'running', eventsTotal: 501, eventsDone: 0, deliveries: 0 });
      const job = await eventually(async () => {
        const j = (await call(env(), a, 'GET', `/api/v1/replays/${started.id}`, undefined, 200)).body;
        return j.status !== 'running' && j;
      });
      expect(job).toMatchObject({ status: 'done', error: null, eventsTotal: 501, eventsDone: 501, deliveries: 501 });
      const sent = await env().store.db.selectFrom('deliveries').select('event_id').where('webhook_id', '=', w).execute();
      const wanted = rows.filter((r) => r.type !== 'webhook.test').map((r) => r.id);
      expect(sent.map((d) => d.event_id).sort()).toEqual(wanted.sort());
    });

    it('the replay list of one subscription shows that subscription’s alone, newest first; another account’s subscription is not found', async () => {
      const a = await env().newAccount();
      const [w1, w2] = [await hook(env(), a), await hook(env(), a)];
      const job = (webhookId: string, startedMs: number): Insertable<ReplayTable> => ({
        id: randomUUID(), account_id: a.id, webhook_id: webhookId, since_ms: 0, status: 'done', events_total: 0, events_done: 0,
        deliveries: 0, error: null, started_ms: startedMs, heartbeat_ms: startedMs, finished_ms: startedMs,
      });
      const rows = [job(w1, NOW - 3000), job(w2, NOW - 2500), job(w1, NOW - 1000), job(w2, NOW - 500), job(w1, NOW - 2000)];
      await env().store.db.insertInto('replays').values(rows).execute();
      const list = async (query: string) => (await call(env(), a, 'GET', `/api/v1/replays${query}`, undefined, 200)).body.data.map((r: { id: string }) => r.id);
      expect(await list(`?webhookId=${w1}`)).toEqual([rows[2].id, rows[4].id, rows[0].id]);
      expect(await list(`?webhookId=${w2}`)).toEqual([rows[3].id, rows[1].id]);
      expect(await list('')).toEqual([rows[3].id, rows[2].id, rows[4].id, rows[1].id, rows[0].id]);
      const b = await env().newAccount();
      const theirs = await hook(env(), b);
      const res = await call(env(), a, 'GET', `/api/v1/replays?webhookId=${theirs}`, undefined, 404);
      expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', details: { object: 'webhook', id: theirs } });
      // At most the latest 50.
      await env().store.db.insertInto('replays').values(Array.from({ length: 50 }, (_, i) => job(w2, NOW - 10_000 - i))).execute();
      const latest = await list('');
      expect([latest.length, latest.slice(0, 5), latest.includes(rows[0].id)]).toEqual([50, [rows[3].id, rows[2].id, rows[4].id, rows[1].id, rows[0].id], true]);
    });
  },
  { now: () => NOW },
);
