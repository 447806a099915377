import { afterAll, beforeAll, expect, it } from 'vitest';
import { posterVerify } from '../../src/receiver/signatures.js';
import { posterFormat } from '../../src/webhooks/formats/poster.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, events } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * Application tokens (issue 10.1 / 11.3): stored only as hashes, never in an event, a delivery
 * body, an attempt log or a replay; Poster's application/added reads the token at send time, for
 * the application's own subscription only. An application token sees and changes only the
 * subscriptions it created, and uninstalling deletes them (10.9).
 */

const SECRET = 'fe2bc8e865d8fc2236968ee53c3b2bd5';

async function register(env: TestEnv, name: string): Promise<number> {
  const res = await env.app.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${env.adminToken}` }, payload: { name } });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
}

/** Installs an application into the account; returns the application's principal as a test account. */
async function install(env: TestEnv, a: TestAccount, appId: number): Promise<TestAccount> {
  const token = (await call(env, a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201)).body.accessToken as string;
  return { ...a, token, auth: { authorization: `Bearer ${token}` } };
}

const since = (ms: number) => ({ since: new Date(ms - 1000).toISOString() });

/** Every place a secret could have been written: events, delivery bodies and headers, attempt logs. */
async function stored(env: TestEnv): Promise<string> {
  const db = env.store.db;
  const parts = [
    await db.selectFrom('events').selectAll().execute(),
    await db.selectFrom('deliveries').selectAll().execute(),
    await db.selectFrom('attempts').selectAll().execute(),
    await db.selectFrom('replays').selectAll().execute(),
  ];
  return JSON.stringify(parts);
}

describeEachDb(
  'application tokens',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => ({ status: r.url.startsWith('/failing') ? 500 : 200, body: '{"status":"accept"}' }));
    });
    afterAll(async () => rx.close());
    const on = (path: string) => rx.requests.filter((r) => r.url === path);

    it('the access token is sent only in application/added to its own subscription, and stored nowhere readable', async () => {
      const x = await register(env(), 'X');
      const y = await register(env(), 'Y');
      const a = await env().newAccount();
      const native = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/t-native') }, 201);
      const userPoster = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/t-user'), format: 'poster', objects: ['application'], secret: SECRET }, 201);
      const start = Date.now();
      const ax = await install(env(), a, x);
      const ay = await install(env(), a, y);
      const xSub = await call(env(), ax, 'POST', '/api/v1/webhooks', { url: rx.url('/t-x'), format: 'poster', objects: ['application'], secret: SECRET }, 201);
      const ySub = await call(env(), ay, 'POST', '/api/v1/webhooks', { url: rx.url('/t-y'), format: 'poster', objects: ['application'], secret: SECRET }, 201);
      for (const [who, sub] of [[ax, xSub], [ay, ySub], [a, userPoster]] as const) {
        await call(env(), who, 'POST', `/api/v1/webhooks/${sub.body.id}/replay`, since(start), 202);
      }
      await eventually(() => on('/t-x').length === 1 && on('/t-y').length === 1 && on('/t-native').length === 2);
      await env().dispatcher?.drained();

      const hx = JSON.parse(on('/t-x')[0].body);
      expect(hx).toMatchObject({ object: 'application', action: 'added', object_id: x });
      expect(JSON.parse(hx.data)).toEqual({ user_id: a.number, access_token: ax.token });
      expect(hx.verify).toBe(posterVerify({ account: a.slug, object: 'application', objectId: x, action: 'added', data: hx.data, time: hx.time }, SECRET));
      expect(JSON.parse(JSON.parse(on('/t-y')[0].body).data).access_token).toBe(ay.token);
      // The user's poster subscription hears nothing of it; the native one (live) of the installs without any token.
      expect(on('/t-user')).toEqual([]);
      const nativeData = on('/t-native').map((r) => JSON.parse(r.body).data);
      expect(nativeData.sort((p: any, q: any) => p.applicationId - q.applicationId)).toEqual([{ applicationId: x, user_id: a.number }, { applicationId: y, user_id: a.number }]);

      // The first layer, at fan-out: the install events became deliveries only at each application's
      // own subscription; none was written for the other application's or the user's (the send-time
      // check would only cancel such a row, so rows are counted, not requests).
      const rowsOf = (webhookId: string) =>
        env().store.db.selectFrom('deliveries').select(['event_type', 'status', 'body']).where('webhook_id', '=', webhookId).execute();
      const objectIds = async (webhookId: string) => (await rowsOf(webhookId)).map((r) => [r.event_type, r.status, JSON.parse(r.body).object_id]);
      expect(await objectIds(xSub.body.id)).toEqual([['application.installed', 'succeeded', x]]);
      expect(await objectIds(ySub.body.id)).toEqual([['application.installed', 'succeeded', y]]);
      expect(await rowsOf(userPoster.body.id)).toEqual([]);

      // Each token reached exactly one request: its own application's hook.
      const carrying = (t: string) => rx.requests.filter((r) => r.body.includes(t) || JSON.stringify(r.headers).includes(t)).map((r) => r.url);
      expect(carrying(ax.token)).toEqual(['/t-x']);
      expect(carrying(ay.token)).toEqual(['/t-y']);

      // Stored: events, delivery bodies, attempts (request headers), replays: no token anywhere.
      const all = await stored(env());
      expect(all).not.toContain(ax.token);
      expect(all).not.toContain(ay.token);
      const d = (await call(env(), ax, 'GET', `/api/v1/webhooks/${xSub.body.id}/deliveries`, undefined, 200)).body.data[0];
      const full = await call(env(), a, 'GET', `/api/v1/deliveries/${d.id}`, undefined, 200);
      expect(full.body.status).toBe('succeeded');
      expect(JSON.parse(JSON.parse(full.body.body).data).access_token).toBe('(filled in when sent)');
      expect(JSON.stringify(full.body)).not.toContain(ax.token);
      expect(full.body.attemptLog).toHaveLength(1);
      for (const who of [a, ax, ay]) {
        const raw = await env().app.inject({ method: 'GET', url: '/api/v1/events?after=0', headers: who.auth });
        expect(raw.statusCode).toBe(200);
        expect(raw.body).not.toContain(ax.token);
        expect(raw.body).not.toContain(ay.token);
      }
      const tokens = await env().store.db.selectFrom('tokens').select('token_hash').where('account_id', '=', a.id).execute();
      expect(JSON.stringify(tokens)).not.toContain(ax.token);

      // Uninstalled: the clear copy is gone, and a replay of the install sends no token to anyone.
      await call(env(), a, 'POST', `/api/v1/applications/${x}/uninstall`, undefined, 204);
      const secrets = await env().store.db.selectFrom('application_secrets').select(['application_id']).where('account_id', '=', a.id).execute();
      expect(secrets).toEqual([{ application_id: y }]);
      await eventually(() => on('/t-native').length === 3);
      // The application's own subscription is told of its removal (docs/formats/poster.md), without a token.
      await eventually(() => on('/t-x').length === 2);
      expect(JSON.parse(on('/t-x')[1].body)).toMatchObject({ object: 'application', action: 'removed', object_id: x });
      expect(JSON.parse(JSON.parse(on('/t-x')[1].body).data)).toEqual({ user_id: a.number });
      const before = rx.requests.length;
      for (const sub of [userPoster, native]) await call(env(), a, 'POST', `/api/v1/webhooks/${sub.body.id}/replay`, since(start), 202);
      await eventually(() => on('/t-native').length === 6);
      await env().dispatcher?.drained();
      const replayed = rx.requests.slice(before);
      expect(replayed.map((r) => r.url)).toEqual(['/t-native', '/t-native', '/t-native']);
      expect(replayed.map((r) => JSON.parse(r.body).type).sort()).toEqual(['application.installed', 'application.installed', 'application.uninstalled']);
      expect(JSON.stringify(replayed)).not.toContain(ax.token);
      expect(await stored(env())).not.toContain(ax.token);
    });

    it('a waiting application/added whose token is gone is cancelled, not sent', async () => {
      const x = await register(env(), 'X2');
      const a = await env().newAccount();
      const start = Date.now();
      const ax = await install(env(), a, x);
      const sub = await call(env(), ax, 'POST', '/api/v1/webhooks', { url: rx.url('/t-gone'), format: 'poster', objects: ['application'], secret: SECRET }, 201);
      // As if the uninstall had raced the send: the clear copy is gone, the subscription still there.
      await env().store.db.deleteFrom('application_secrets').where('account_id', '=', a.id).execute();
      await call(env(), ax, 'POST', `/api/v1/webhooks/${sub.body.id}/replay`, since(start), 202);
      const d = await eventually(async () => {
        const list = (await call(env(), ax, 'GET', `/api/v1/webhooks/${sub.body.id}/deliveries`, undefined, 200)).body.data;
        return list[0]?.status === 'cancelled' && list[0];
      });
      expect(d).toMatchObject({ eventType: 'application.installed', attempts: 0, lastError: expect.stringContaining('not installed') });
      expect(on('/t-gone')).toEqual([]);
    });

    it('the format checks the author again at send time and asks for the token only then', async () => {
      const asked: number[] = [];
      const reads = { applicationToken: async (_acc: string, app: number) => (asked.push(app), `tok-${app}`) };
      const body = JSON.stringify({ account: 's', account_number: '1', object: 'application', object_id: 7, action: 'added', time: '1', verify: 'x', data: '{"user_id":1,"access_token":"(filled in when sent)"}' });
      const sub = { accountId: 'acc', secret: SECRET, authorApplicationId: 7 } as never;
      const other = { accountId: 'acc', secret: SECRET, authorApplicationId: 8 } as never;
      const ok = await posterFormat.finalizeBody!({ id: 'd', eventType: 'application.installed', body }, sub, reads, 1_800_000_000_000);
      expect('body' in ok && JSON.parse(JSON.parse(ok.body).data).access_token).toBe('tok-7');
      expect('body' in ok && JSON.parse(ok.body).time).toBe('1800000000');
      const refused = await posterFormat.finalizeBody!({ id: 'd', eventType: 'application.installed', body }, other, reads, 1_800_000_000_000);
      expect(refused).toEqual({ cancel: expect.stringContaining('not installed') });
      expect(asked).toEqual([7]);
    });

    it("an application token sees and changes only the subscriptions that application created", async () => {
      const x = await register(env(), 'X3');
      const a = await env().newAccount();
      const ax = await install(env(), a, x);
      const user = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/u-native'), bearerToken: 'user-endpoint-token' }, 201);
      const userKladana = await call(env(), a, 'POST', '/api/remap/1.2/entity/webhookstock', { url: rx.url('/u-kladana'), stockType: 'stock', reportType: 'all' });
      expect(userKladana.status).toBe(200);
      const own = await call(env(), ax, 'POST', '/api/v1/webhooks', { url: rx.url('/x-native') }, 201);
      const ownKladana = await call(env(), ax, 'POST', '/api/remap/1.2/entity/webhookstock', { url: rx.url('/x-kladana'), stockType: 'stock', reportType: 'all' });
      expect(ownKladana.status).toBe(200);
      await call(env(), a, 'POST', `/api/v1/webhooks/${user.body.id}/test`, undefined, 202);
      await env().dispatcher?.drained();

      // Lists: the application sees its own two, the user all four.
      const appList = (await call(env(), ax, 'GET', '/api/v1/webhooks', undefined, 200)).body.data.map((s: any) => s.id).sort();
      expect(appList).toEqual([own.body.id, ownKladana.body.id].sort());
      expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toHaveLength(4);
      const stocks = (await call(env(), ax, 'GET', '/api/remap/1.2/entity/webhookstock', undefined, 200)).body;
      expect(stocks.rows.map((r: any) => r.id)).toEqual([ownKladana.body.id]);
      expect(stocks.meta.size).toBe(1);
      expect((await call(env(), a, 'GET', '/api/remap/1.2/entity/webhookstock', undefined, 200)).body.rows).toHaveLength(2);

      // The user's: 404 for every read and change, as another account's would be, and nothing changed.
      const id = user.body.id;
      const refused = [
        await call(env(), ax, 'GET', `/api/v1/webhooks/${id}`),
        await call(env(), ax, 'PATCH', `/api/v1/webhooks/${id}`, { url: rx.url('/stolen') }),
        await call(env(), ax, 'POST', `/api/v1/webhooks/${id}/rotate-secret`),
        await call(env(), ax, 'POST', `/api/v1/webhooks/${id}/test`),
        await call(env(), ax, 'POST', `/api/v1/webhooks/${id}/replay`, { since: new Date(0).toISOString() }),
        await call(env(), ax, 'GET', `/api/v1/webhooks/${id}/deliveries`),
        await call(env(), ax, 'DELETE', `/api/v1/webhooks/${id}`),
        await call(env(), ax, 'GET', `/api/remap/1.2/entity/webhookstock/${userKladana.body.id}`),
        await call(env(), ax, 'PUT', `/api/remap/1.2/entity/webhookstock/${userKladana.body.id}`, { enabled: false }),
        await call(env(), ax, 'DELETE', `/api/remap/1.2/entity/webhookstock/${userKladana.body.id}`),
        await call(env(), ax, 'POST', '/api/remap/1.2/entity/webhookstock/delete', [{ meta: { href: `http://stockhook.test/api/remap/1.2/entity/webhookstock/${userKladana.body.id}` } }]),
      ];
      expect(refused.map((r) => r.status)).toEqual(refused.map(() => 404));
      expect(JSON.stringify(refused.map((r) => r.body))).not.toContain('whsec_');
      const after = (await call(env(), a, 'GET', `/api/v1/webhooks/${id}`, undefined, 200)).body;
      expect(after).toMatchObject({ url: rx.url('/u-native'), bearerToken: true, updatedAt: user.body.updatedAt });
      expect((await call(env(), a, 'GET', `/api/remap/1.2/entity/webhookstock/${userKladana.body.id}`, undefined, 200)).body.enabled).toBe(true);

      // Deliveries of the user's subscriptions are not the application's either.
      const userDelivery = (await call(env(), a, 'GET', `/api/v1/webhooks/${id}/deliveries`, undefined, 200)).body.data[0];
      expect((await call(env(), ax, 'GET', `/api/v1/deliveries/${userDelivery.id}`)).status).toBe(404);
      expect((await call(env(), ax, 'POST', `/api/v1/deliveries/${userDelivery.id}/retry`)).status).toBe(404);
      expect((await call(env(), ax, 'GET', '/api/v1/deliveries', undefined, 200)).body.data).toEqual([]);

      // Its own: everything works.
      await call(env(), ax, 'PATCH', `/api/v1/webhooks/${own.body.id}`, { events: ['stock.changed'] }, 200);
      expect((await call(env(), ax, 'POST', `/api/v1/webhooks/${own.body.id}/rotate-secret`, undefined, 200)).body.secret).toMatch(/^whsec_/);
      await call(env(), ax, 'POST', `/api/v1/webhooks/${own.body.id}/test`, undefined, 202);
      await call(env(), ax, 'GET', `/api/remap/1.2/entity/webhookstock/${ownKladana.body.id}`, undefined, 200);
      await call(env(), ax, 'DELETE', `/api/v1/webhooks/${own.body.id}`, undefined, 204);
    });

    it('uninstalling deletes every subscription the application created and cancels their waiting deliveries', async () => {
      const x = await register(env(), 'X4');
      const y = await register(env(), 'Y4');
      const a = await env().newAccount();
      const ax = await install(env(), a, x);
      const ay = await install(env(), a, y);
      const user = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/failing-user'), retrySchedule: [3600] }, 201);
      const xNative = await call(env(), ax, 'POST', '/api/v1/webhooks', { url: rx.url('/failing-x'), retrySchedule: [3600] }, 201);
      const xHeld = await call(env(), ax, 'POST', '/api/v1/webhooks', { url: rx.url('/failing-x-held'), retrySchedule: [3600] }, 201);
      const xKladana = await call(env(), ax, 'POST', '/api/remap/1.2/entity/webhookstock', { url: rx.url('/failing-x-kladana'), stockType: 'stock', reportType: 'all' });
      const yNative = await call(env(), ay, 'POST', '/api/v1/webhooks', { url: rx.url('/failing-y'), retrySchedule: [3600] }, 201);
      await call(env(), a, 'POST', '/api/v1/warehouses', { name: 'W' }, 201);
      await eventually(() => rx.requests.filter((r) => r.url.startsWith('/failing')).length === 4);
      await env().dispatcher?.drained();
      await call(env(), ax, 'PATCH', `/api/v1/webhooks/${xHeld.body.id}`, { enabled: false }, 200);
      const status = async (webhookId: string) =>
        (await env().store.db.selectFrom('deliveries').select('status').where('webhook_id', '=', webhookId).execute()).map((r) => r.status);
      expect(await status(xNative.body.id)).toEqual(['pending']);
      expect(await status(xHeld.body.id)).toEqual(['held']);

      await call(env(), a, 'POST', `/api/v1/applications/${x}/uninstall`, undefined, 204);
      const left = await env().store.db.selectFrom('webhooks').select(['id', 'author_application_id']).where('account_id', '=', a.id).execute();
      expect(left.map((w) => w.id).sort()).toEqual([user.body.id, yNative.body.id].sort());
      expect(left.find((w) => w.id === yNative.body.id)?.author_application_id).toBe(y);
      expect(left.find((w) => w.id === user.body.id)?.author_application_id).toBeNull();
      expect(await status(xNative.body.id)).toEqual(['cancelled']);
      expect(await status(xHeld.body.id)).toEqual(['cancelled']);
      expect(await status(xKladana.body.id)).toEqual([]);
      // What the user and the other application made waits on, untouched.
      expect(await status(user.body.id)).toContain('pending');
      expect(await status(yNative.body.id)).toContain('pending');
      // The uninstall is an event for the subscriptions that remain.
      const ev = (await events(env(), a)).filter((e) => e.type === 'application.uninstalled');
      expect(ev.map((e) => e.data)).toEqual([{ applicationId: x, user_id: a.number }]);
      // The uninstalled application's token is gone with what it made.
      expect((await call(env(), ax, 'GET', '/api/v1/webhooks')).status).toBe(401);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
