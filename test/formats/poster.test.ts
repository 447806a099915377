import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { allSucceeded, call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received } from '../support/receiver.js';

/*
 * The receiving side, written from the Poster document (seed 004) alone: its PHP sample
 * json_decodes the body, takes `verify` out, and md5s implode(';', [account, object, object_id,
 * action, (data if isset), time, client_secret]).
 */
const SECRET = 'fe2bc8e865d8fc2236968ee53c3b2bd5';

/** What PHP's implode makes of a json_decoded scalar. */
function phpString(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v === true) return '1';
  return String(v);
}

function phpVerifies(raw: string, secret: string): boolean {
  const postData = JSON.parse(raw) as Record<string, unknown>;
  const original = postData.verify;
  delete postData.verify;
  const verify: unknown[] = [postData.account, postData.object, postData.object_id, postData.action];
  if (postData.data !== undefined && postData.data !== null) verify.push(postData.data);
  verify.push(postData.time, secret);
  return createHash('md5').update(verify.map(phpString).join(';')).digest('hex') === original;
}

interface Hook {
  account: string;
  account_number: string;
  object: string;
  object_id: number;
  action: string;
  time: string;
  verify: string;
  data?: string;
}

/** The entities of the document's table, as it spells them. */
const DOCUMENT_ENTITIES = ['transaction', 'incoming_order', 'product', 'dish', 'category', 'prepack', 'ingredient', 'workshop',
  'ingredients_category', 'client', 'client_payed_sum', 'clients_group', 'promotion', 'promotion_prize', 'client_ewallet', 'loyalty rule',
  'storage', 'stock', 'supply', 'book_transaction', 'cash_shift_transaction', 'spot', 'register', 'waiter', 'configs', 'application'];

/** Every hook here is sent after this file was loaded. */
const LOADED_SEC = Math.floor(Date.now() / 1000);

/** Checks every field's JSON type as the seed shows it, and the signature; returns the parsed hook. */
function checkHook(r: Received, a: TestAccount, secret = SECRET): Hook {
  expect(r.method).toBe('POST');
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const h = JSON.parse(r.body) as Hook;
  const keys = Object.keys(h).sort();
  expect(keys).toEqual(['account', 'account_number', 'action', 'object', 'object_id', 'time', 'verify', ...(h.data !== undefined ? ['data'] : [])].sort());
  expect(h.account).toBe(a.slug);
  expect(typeof h.account_number).toBe('string');
  expect(h.account_number).toBe(String(a.number));
  expect(typeof h.object).toBe('string');
  expect(Number.isInteger(h.object_id)).toBe(true);
  expect(['added', 'changed', 'removed', 'transformed']).toContain(h.action);
  expect(h.time).toMatch(/^\d{10}$/);
  // Set when the hook is sent: after this file loaded, before it arrived (no tolerance: an order of events).
  expect(Number(h.time)).toBeGreaterThanOrEqual(LOADED_SEC);
  expect(Number(h.time)).toBeLessThanOrEqual(Math.floor(r.at / 1000));
  expect(h.verify).toMatch(/^[0-9a-f]{32}$/);
  if (h.data !== undefined) expect(typeof h.data).toBe('string');
  expect(phpVerifies(r.body, secret)).toBe(true);
  expect(phpVerifies(r.body, 'wrong-secret')).toBe(false);
  return h;
}

const on = (rx: Receiver, path: string) => rx.on(path);


async function subscribe(env: TestEnv, a: TestAccount, url: string, objects: string[], extra: object = {}) {
  return (await call(env, a, 'POST', '/api/v1/webhooks', { url, format: 'poster', objects, secret: SECRET, ...extra }, 201)).body;
}

describeEachDb(
  'poster webhooks',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        const seen = on(rx, r.url).length;
        // 201 and 204 are not 200: Poster retries them.
        if (r.url === '/rule') return { status: [201, 500, 204][seen - 1] ?? 200, body: '{"status":"accept"}' };
        return { status: 200, body: '{"status":"accept"}' };
      });
    });
    afterAll(async () => rx.close());

    it('stock, supply, product and storage hooks: seed shape, types and a PHP-verifiable md5', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/all'), ['stock', 'supply', 'product', 'storage']);
      expect(sub.options).toEqual({ objects: ['stock', 'supply', 'product', 'storage'] });
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await eventually(() => on(rx, '/all').length === 2);
      const doc = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 5 }] });
      await eventually(() => on(rx, '/all').length === 4);
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 2 }] });
      // Two lots of one product in one document are one Poster element: one hook, summed.
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3, lot: 'A' }, { productId: p, quantity: 4, lot: 'B' }] });
      await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { price: 12 }, 200);
      await allSucceeded(env(), a, sub.id, 8);
      // Each delivery was answered before it read succeeded: all 8 have arrived, and no more will.
      const hooks = on(rx, '/all').map((r) => checkHook(r, a));
      expect(hooks).toHaveLength(8);
      const pick = (object: string, action: string) => hooks.filter((h) => h.object === object && h.action === action);
      expect(pick('storage', 'added')).toEqual([expect.objectContaining({ object_id: w })]);
      expect(pick('product', 'added')).toEqual([expect.objectContaining({ object_id: p })]);
      expect(pick('product', 'changed')).toEqual([expect.objectContaining({ object_id: p })]);
      expect(pick('supply', 'added').map((h) => h.object_id)).toEqual([doc.body.id, expect.any(Number)]);
      for (const h of [...pick('storage', 'added'), ...pick('product', 'added'), ...pick('supply', 'added')]) expect(h.data).toBeUndefined();
      const stock = pick('stock', 'changed');
      expect(stock).toHaveLength(3);
      const data = stock.map((h) => {
        expect(h.object_id).toBe(p);
        const d = JSON.parse(h.data as string);
        expect(Object.keys(d).sort()).toEqual(['element_id', 'storage_id', 'type', 'value_absolute', 'value_relative']);
        for (const k of Object.keys(d)) expect(typeof d[k]).toBe('number');
        expect(d).toMatchObject({ type: 2, element_id: p, storage_id: w });
        return [d.value_relative, d.value_absolute];
      });
      expect(data.sort((x, y) => x[1] - y[1])).toEqual([[-2, 3], [5, 5], [7, 10]]);
    });

    it('warehouse and product removal, and a cancelled receipt, reach Poster as removed', async () => {
      const a = await env().newAccount();
      await subscribe(env(), a, rx.url('/removed'), ['storage', 'product', 'supply']);
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const doc = await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await call(env(), a, 'POST', `/api/v1/documents/${doc.body.id}/cancel`, undefined, 200);
      await call(env(), a, 'PATCH', `/api/v1/warehouses/${w}`, { name: 'Renamed' }, 200);
      await call(env(), a, 'DELETE', `/api/v1/products/${p}`, undefined, 204);
      await call(env(), a, 'DELETE', `/api/v1/warehouses/${w}`, undefined, 204);
      await eventually(() => on(rx, '/removed').length === 7);
      const got = on(rx, '/removed').map((r) => checkHook(r, a));
      expect(got.map((h) => `${h.object}/${h.action}/${h.object_id}`).sort()).toEqual(
        [`storage/added/${w}`, `product/added/${p}`, `supply/added/${doc.body.id}`, `supply/removed/${doc.body.id}`, `storage/changed/${w}`, `product/removed/${p}`, `storage/removed/${w}`].sort(),
      );
    });

    it('only HTTP 200 is success: 201, 500 and 204 are retried with the same hook, time and verify set per attempt', { timeout: 30_000 }, async () => {
      const a = await env().newAccount();
      // Retries 1.2 s apart (at least 1.08 s with Poster's ±10 % jitter): each attempt starts in a
      // later second than the one before, so a `time` set per attempt grows with every attempt.
      const sub = await subscribe(env(), a, rx.url('/rule'), ['storage'], { retrySchedule: [1.2, 1.2, 1.2, 1.2] });
      const postedSec = Math.floor(Date.now() / 1000);
      await warehouse(env(), a);
      await eventually(() => on(rx, '/rule').length === 4, 20_000);
      const got = on(rx, '/rule');
      // Poster's `time` is when the hook is sent: everything but time and verify is the same on every attempt.
      const hooks = got.map((r) => checkHook(r, a));
      expect(new Set(hooks.map(({ time: _t, verify: _v, ...rest }) => JSON.stringify(rest))).size).toBe(1);
      // Each attempt's time lies between the arrival of the attempt before (or the post) and its own
      // arrival, and is later than the time of the attempt before: orders of events, no tolerance.
      const times = hooks.map((h) => Number(h.time));
      got.forEach((r, i) => {
        expect(times[i]).toBeGreaterThanOrEqual(i === 0 ? postedSec : Math.floor(got[i - 1].at / 1000));
        expect(times[i]).toBeLessThanOrEqual(Math.floor(r.at / 1000));
        if (i > 0) expect(times[i]).toBeGreaterThan(times[i - 1]);
      });
      expect(new Set(hooks.map((h) => h.verify)).size).toBe(4);
      const d = await eventually(async () => {
        const list = await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}/deliveries`, undefined, 200);
        return list.body.data[0]?.status === 'succeeded' && list.body.data[0];
      });
      expect(d).toMatchObject({ attempts: 4, lastStatusCode: 200 });
      expect(on(rx, '/rule')).toHaveLength(4);
    });

    it('default schedule: 15 more tries within 48 hours; generated secret is 32 hex', async () => {
      const a = await env().newAccount();
      const res = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/default'), format: 'poster', objects: ['stock'] }, 201);
      const schedule = res.body.retrySchedule as number[];
      expect(schedule).toHaveLength(15);
      expect(schedule.reduce((s, x) => s + x, 0)).toBeLessThanOrEqual(172_800);
      for (let i = 1; i < schedule.length; i++) expect(schedule[i]).toBeGreaterThanOrEqual(schedule[i - 1]);
      expect(res.body.secret).toMatch(/^[0-9a-f]{32}$/);
    });

    it('a test send is a hook of an entity and action the document defines', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/test-send'), ['stock']);
      await call(env(), a, 'POST', `/api/v1/webhooks/${sub.id}/test`, {}, 202);
      const r = await eventually(() => on(rx, '/test-send')[0]);
      const h = checkHook(r, a);
      // The document's entity table and its actions (added, changed, removed, transformed).
      expect(DOCUMENT_ENTITIES).toContain(h.object);
      expect(h).toMatchObject({ object: 'configs', action: 'changed', object_id: 0 });
    });

    it('objects filter: a stock-only subscription hears no product or storage changes', async () => {
      const a = await env().newAccount();
      const sub = await subscribe(env(), a, rx.url('/stock-only'), ['stock']);
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { title: 'Renamed' }, 200);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] });
      const log = await allSucceeded(env(), a, sub.id, 1);
      expect(log.map((d: any) => d.eventType)).toEqual(['stock.changed']);
      const got = on(rx, '/stock-only').map((r) => checkHook(r, a));
      expect(got.map((h) => h.object)).toEqual(['stock']);
    });

    it('objects: required, every entity of the document accepted, an unknown one named in a 400', async () => {
      const a = await env().newAccount();
      const all = ['transaction', 'incoming_order', 'product', 'dish', 'category', 'prepack', 'ingredient', 'workshop', 'ingredients_category',
        'client', 'client_payed_sum', 'clients_group', 'promotion', 'promotion_prize', 'client_ewallet', 'loyalty rule',
        'storage', 'stock', 'supply', 'book_transaction', 'cash_shift_transaction', 'spot', 'register', 'waiter', 'configs', 'application'];
      const ok = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/every'), format: 'poster', objects: all }, 201);
      expect(ok.body.options.objects).toEqual(all);
      const missing = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/x'), format: 'poster' }, 400);
      expect(missing.body.error.code).toBe('VALIDATION_FAILED');
      await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/x'), format: 'poster', objects: [] }, 400);
      const unknown = await call(env(), a, 'POST', '/api/v1/webhooks', { url: rx.url('/x'), format: 'poster', objects: ['stock', 'bogus_entity'] }, 400);
      expect(unknown.body.error.message).toContain('bogus_entity');
      const patched = await call(env(), a, 'PATCH', `/api/v1/webhooks/${ok.body.id}`, { objects: ['nope'] }, 400);
      expect(patched.body.error.message).toContain('nope');
      const narrowed = await call(env(), a, 'PATCH', `/api/v1/webhooks/${ok.body.id}`, { objects: ['stock'] }, 200);
      expect(narrowed.body.options).toEqual({ objects: ['stock'] });
    });

    it("application/added goes only to the application's own subscription, its access token filled in at send time", async () => {
      const admin = { authorization: `Bearer ${env().adminToken}` };
      const reg = await env().app.inject({ method: 'POST', url: '/api/v1/applications', headers: admin, payload: { name: 'Poster app' } });
      const appId = reg.json().id as number;
      const a = await env().newAccount();
      const mine = await subscribe(env(), a, rx.url('/apps-user'), ['application']);
      const installedAt = Date.now();
      const inst = await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
      const token = inst.body.accessToken as string;
      const asApp = { id: a.id, number: a.number, slug: a.slug, token, auth: { authorization: `Bearer ${token}` } };
      const own = await subscribe(env(), asApp, rx.url('/apps-own'), ['application']);
      // The application's subscription exists only after the install: a replay brings it the hook.
      await call(env(), asApp, 'POST', `/api/v1/webhooks/${own.id}/replay`, { since: new Date(installedAt - 1000).toISOString() }, 202);
      await eventually(() => on(rx, '/apps-own').length === 1);
      const added = checkHook(on(rx, '/apps-own')[0], a);
      expect(added).toMatchObject({ object: 'application', action: 'added', object_id: appId });
      const d = JSON.parse(added.data as string);
      expect(d).toEqual({ user_id: a.number, access_token: token });
      expect(typeof d.user_id).toBe('number');
      // The user's own poster subscription lists `application` too, and hears nothing of it.
      const replay = await call(env(), a, 'POST', `/api/v1/webhooks/${mine.id}/replay`, { since: new Date(installedAt - 1000).toISOString() }, 202);
      const job = await eventually(async () => {
        const r = (await call(env(), a, 'GET', `/api/v1/replays/${replay.body.id}`, undefined, 200)).body;
        return r.status === 'done' && r;
      });
      // The replay went over the install and queued nothing for this subscription: nothing can arrive.
      expect(job.eventsDone).toBeGreaterThanOrEqual(1);
      expect(job.deliveries).toBe(0);
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${mine.id}/deliveries`, undefined, 200)).body.data).toEqual([]);
      expect(on(rx, '/apps-user')).toEqual([]);

      // Uninstalling: the application's own subscription is gone for the account at once, and is
      // told `removed` (no token: it is dead); the user's poster subscription hears nothing of it.
      await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 204);
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${own.id}`)).status).toBe(404);
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${mine.id}/deliveries`, undefined, 200)).body.data).toEqual([]);
      await eventually(() => on(rx, '/apps-own').length === 2);
      const removed = checkHook(on(rx, '/apps-own')[1], a);
      expect(removed).toMatchObject({ object: 'application', action: 'removed', object_id: appId });
      expect(JSON.parse(removed.data as string)).toEqual({ user_id: a.number });
      // Deleted with that hook's result; its log keeps both deliveries.
      await eventually(async () => !(await env().store.db.selectFrom('webhooks').select('id').where('id', '=', own.id).executeTakeFirst()));
      const left = await env().store.db.selectFrom('deliveries').select('status').where('webhook_id', '=', own.id).orderBy('created_ms').execute();
      expect(left.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
      expect(on(rx, '/apps-user')).toEqual([]);
    });
  },
  { dispatcher: { pollMs: 100 } },
);
