import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Dispatcher } from '../../src/delivery/dispatcher.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received, type Reply } from '../support/receiver.js';

/*
 * Seed 004 (004_a1bb63d8532f2e59.txt), "Настройки и приложения": the entity `application` is
 * "Установка или удаление приложения" (installation or removal of the application), its `data` has
 * `user_id`, and `access_token` only "в случае, если `action` — `added`": a removal is an
 * `application` hook with action `removed`, `user_id` and no token. The receiver below is written
 * from the seed alone: `verify` as its PHP sample computes it.
 */
const SECRET = '9d1c0f3e5a7b4c2d8e6f1a3b5c7d9e0f';

function posterVerifies(raw: string, secret: string): boolean {
  const h = JSON.parse(raw) as Record<string, unknown>;
  const parts = [h.account, h.object, h.object_id, h.action];
  if (h.data !== undefined) parts.push(h.data);
  parts.push(h.time, secret);
  return createHash('md5').update(parts.map(String).join(';')).digest('hex') === h.verify;
}

/** A Poster application registered with its own webhook to `url` for stock and application hooks. */
async function registerApp(env: TestEnv, url: string): Promise<number> {
  const res = await env.app.inject({
    method: 'POST',
    url: '/api/v1/applications',
    headers: { authorization: `Bearer ${env.adminToken}` },
    payload: { name: 'Stock sync', webhook: { url, objects: ['stock', 'application'], secret: SECRET } },
  });
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
}

const hooksOf = (rx: Receiver, path: string) => rx.on(path).map((r: Received) => ({ raw: r.body, h: JSON.parse(r.body) }));

/** The application's subscription in the account, read from the table (the API hides it once it is being removed). */
const subscriptionRow = (env: TestEnv, a: TestAccount) =>
  env.store.db.selectFrom('webhooks').selectAll().where('account_id', '=', a.id).where('author_application_id', 'is not', null).executeTakeFirst();

/**
 * The [event type, status] of every delivery written for the account's application subscription,
 * whatever happened to the subscription since; sorted by event type, as two writes may share a millisecond.
 */
async function deliveriesTo(env: TestEnv, a: TestAccount, url: string): Promise<string[][]> {
  const rows = await env.store.db.selectFrom('deliveries').select(['event_type', 'status']).where('account_id', '=', a.id).where('url', '=', url).execute();
  return rows.map((r) => [r.event_type, r.status]).sort((x, y) => x[0].localeCompare(y[0]));
}

describeEachDb(
  'Poster: an uninstalled application is told, then hears nothing more',
  (env) => {
    let rx: Receiver;
    /** Answers for `removed` hooks, taken in order; 200 when none is left. */
    const removedAnswers: Reply[] = [];
    beforeAll(async () => {
      rx = await Receiver.start((r) => {
        const h = JSON.parse(r.body);
        return h.action === 'removed' ? (removedAnswers.shift() ?? { status: 200, body: '{"status":"accept"}' }) : { status: 200, body: '{"status":"accept"}' };
      });
    });
    afterAll(async () => rx.close());

    it('"удаление приложения": application/removed with user_id and no token after the uninstall; nothing else after it; the subscription deleted once it succeeded', async () => {
      const path = '/told';
      const appId = await registerApp(env(), rx.url(path));
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] });
      await eventually(() => hooksOf(rx, path).length === 2);
      // Their results written: the uninstall cancels only what is still waiting.
      await env().dispatcher?.drained();

      // The `removed` hook's answer waits for the test: meanwhile the subscription is being removed.
      let answer!: () => void;
      removedAnswers.push({ status: 200, body: '{"status":"accept"}', hold: new Promise<void>((resolve) => (answer = resolve)) });
      await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 204);
      await eventually(() => hooksOf(rx, path).length === 3);
      // Gone for the account at once, though its last hook is still in flight.
      expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
      const removing = await subscriptionRow(env(), a);
      expect([removing?.enabled, typeof removing?.removing_ms === 'number' || typeof removing?.removing_ms === 'string']).toEqual([1, true]);
      // A change after the uninstall: its transaction wrote no delivery for the application (the
      // fan-out commits with the change), so nothing of it can ever be sent there.
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      expect((await deliveriesTo(env(), a, rx.url(path))).map(([type]) => type)).toEqual(['application.installed', 'application.uninstalled', 'stock.changed']);
      answer();

      const { raw, h } = hooksOf(rx, path)[2];
      expect(posterVerifies(raw, SECRET)).toBe(true);
      expect(h).toMatchObject({ account: a.slug, account_number: String(a.number), object: 'application', object_id: appId, action: 'removed' });
      expect(JSON.parse(h.data)).toEqual({ user_id: a.number });
      // Deleted in the write of that hook's result.
      await eventually(async () => (await subscriptionRow(env(), a)) === undefined);
      expect((await deliveriesTo(env(), a, rx.url(path))).map(([, status]) => status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      expect(await deliveriesTo(env(), a, rx.url(path))).toHaveLength(3);
      expect(hooksOf(rx, path)).toHaveLength(3);
    });

    it('a removed hook that keeps failing is retried on its schedule; the subscription goes once the tries ran out', async () => {
      const path = '/failing';
      const appId = await registerApp(env(), rx.url(path));
      const a = await env().newAccount();
      const inst = await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
      await eventually(() => hooksOf(rx, path).length === 1);
      await env().dispatcher?.drained();
      // The application shortens its own subscription's schedule to one retry (an override).
      const asApp = { ...a, token: inst.body.accessToken, auth: { authorization: `Bearer ${inst.body.accessToken}` } };
      const [own] = (await call(env(), asApp, 'GET', '/api/v1/webhooks', undefined, 200)).body.data;
      await call(env(), asApp, 'PATCH', `/api/v1/webhooks/${own.id}`, { retrySchedule: [0.2] }, 200);

      let second!: () => void;
      removedAnswers.push({ status: 500 }, { status: 500, hold: new Promise<void>((resolve) => (second = resolve)) });
      await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 204);
      // The retry is in flight: the first try failed and the subscription is still there for it.
      await eventually(() => hooksOf(rx, path).length === 3);
      expect((await subscriptionRow(env(), a))?.id).toBe(own.id);
      second();
      await eventually(async () => (await subscriptionRow(env(), a)) === undefined);
      expect(await deliveriesTo(env(), a, rx.url(path))).toEqual([
        ['application.installed', 'succeeded'],
        ['application.uninstalled', 'failed'],
      ]);
      for (const { raw } of hooksOf(rx, path)) expect(posterVerifies(raw, SECRET)).toBe(true);
      expect(hooksOf(rx, path).slice(1).map(({ h }) => h.action)).toEqual(['removed', 'removed']);
    });
  },
  { dispatcher: { pollMs: 50 } },
);

describeEachDb('Poster: an uninstall committed while no dispatcher runs is still told after a restart', (env) => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start(() => ({ status: 200, body: '{"status":"accept"}' }));
  });
  afterAll(async () => rx.close());

  it('the removing mark and the removed hook are in the database: a dispatcher started later sends it and deletes the subscription', async () => {
    const appId = await registerApp(env(), rx.url('/later'));
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
    await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 204);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    // The `added` hook never went out and its token is dead: cancelled. `removed` waits; the receipt wrote nothing there.
    expect(await deliveriesTo(env(), a, rx.url('/later'))).toEqual([
      ['application.installed', 'cancelled'],
      ['application.uninstalled', 'pending'],
    ]);
    const dispatcher = new Dispatcher(env().ctx, { pollMs: 50 });
    await dispatcher.start();
    try {
      await eventually(async () => (await subscriptionRow(env(), a)) === undefined);
      await dispatcher.drained();
    } finally {
      await dispatcher.stop(1000);
    }
    const got = hooksOf(rx, '/later');
    expect(got.map(({ h }) => [h.object, h.action])).toEqual([['application', 'removed']]);
    expect(posterVerifies(got[0].raw, SECRET)).toBe(true);
    expect(JSON.parse(got[0].h.data)).toEqual({ user_id: a.number });
  });
});
