import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver, type Received } from '../support/receiver.js';

/**
 * Poster (docs/formats/poster.md): hooks are set in the developer's application settings (URL and
 * entities) and arrive for every account that connects the application, the first being
 * `application`/`added` with the access token. The receiver below is written from Poster's document
 * only: it checks `verify` as Poster's PHP sample computes it.
 */
function posterVerifies(raw: string, secret: string): boolean {
  const h = JSON.parse(raw) as Record<string, unknown>;
  const parts = [h.account, h.object, h.object_id, h.action];
  if (h.data !== undefined) parts.push(h.data);
  parts.push(h.time, secret);
  return createHash('md5').update(parts.map(String).join(';')).digest('hex') === h.verify;
}

const SECRET = 'f2a8c7e1d3b54690a1b2c3d4e5f60718';

async function admin(env: TestEnv, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await env.app.inject({ method, url, headers: { authorization: `Bearer ${env.adminToken}` }, ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

describeEachDb('a Poster application with its own webhook', (env) => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start(() => ({ status: 200, body: '{"status":"accept"}' }));
  });
  afterAll(async () => rx.close());

  const hooks = (path: string) => rx.requests.filter((r) => r.url === path).map((r: Received) => ({ raw: r.body, h: JSON.parse(r.body) }));

  it('every account that installs it is sent application/added with its token, then its entities; uninstall stops them', async () => {
    const reg = await admin(env(), 'POST', '/api/v1/applications', {
      name: 'Stock sync',
      webhook: { url: rx.url('/poster-app'), objects: ['stock', 'application'], secret: SECRET },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.webhook).toEqual({ url: rx.url('/poster-app'), objects: ['stock', 'application'], secret: SECRET });
    // The verify secret is shown at registration only.
    const listed = (await admin(env(), 'GET', '/api/v1/applications')).body.data.find((x: any) => x.id === reg.body.id);
    expect(listed.webhook).toEqual({ url: rx.url('/poster-app'), objects: ['stock', 'application'] });

    const a = await env().newAccount();
    const b = await env().newAccount();
    const installA = await call(env(), a, 'POST', `/api/v1/applications/${reg.body.id}/install`, undefined, 201);
    const installB = await call(env(), b, 'POST', `/api/v1/applications/${reg.body.id}/install`, undefined, 201);
    await eventually(() => hooks('/poster-app').length === 2);
    const added = hooks('/poster-app');
    for (const { raw } of added) expect(posterVerifies(raw, SECRET)).toBe(true);
    const byAccount = new Map(added.map(({ h }) => [h.account, h]));
    for (const [acc, install] of [[a, installA], [b, installB]] as const) {
      const h = byAccount.get(acc.slug);
      expect(h).toMatchObject({ object: 'application', object_id: reg.body.id, action: 'added', account_number: String(acc.number) });
      expect(JSON.parse(h.data)).toEqual({ user_id: acc.number, access_token: install.body.accessToken });
    }

    // The account's stock changes follow, to the same URL, signed with the same secret.
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3 }] });
    await eventually(() => hooks('/poster-app').length === 3);
    const stock = hooks('/poster-app')[2];
    expect(posterVerifies(stock.raw, SECRET)).toBe(true);
    expect(stock.h).toMatchObject({ account: a.slug, object: 'stock', action: 'changed', object_id: p });

    // The account's own token sees the subscription as the application's, not its own to change.
    const subs = (await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data;
    expect(subs.map((s: any) => [s.format, s.url])).toEqual([['poster', rx.url('/poster-app')]]);

    // Uninstalled: the subscription is gone, and a later change sends nothing there.
    await call(env(), a, 'POST', `/api/v1/applications/${reg.body.id}/uninstall`, undefined, 204);
    expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
    // Account b's next change is delivered after a's: it proves a's would have arrived by then.
    const wb = await warehouse(env(), b);
    const pb = await product(env(), b);
    await post(env(), b, { type: 'receipt', warehouseId: wb, lines: [{ productId: pb, quantity: 1 }] });
    await eventually(() => hooks('/poster-app').some(({ h }) => h.account === b.slug && h.object === 'stock'));
    expect(hooks('/poster-app').filter(({ h }) => h.account === a.slug && h.object === 'stock')).toHaveLength(1);
  });

  it('a free-plan account installs it without a subscription (the free plan sends nothing)', async () => {
    const reg = await admin(env(), 'POST', '/api/v1/applications', { name: 'Free sync', webhook: { url: rx.url('/poster-free'), objects: ['stock'] } });
    expect(reg.body.webhook.secret).toMatch(/^[0-9a-f]{32}$/);
    const f = await env().newAccount('free');
    await call(env(), f, 'POST', `/api/v1/applications/${reg.body.id}/install`, undefined, 201);
    const rows = await env().store.db.selectFrom('webhooks').select('id').where('account_id', '=', f.id).execute();
    expect(rows).toEqual([]);
  });

  it('the webhook is checked at registration: unknown entities and private targets are refused', async () => {
    const bad = await admin(env(), 'POST', '/api/v1/applications', { name: 'x', webhook: { url: rx.url('/x'), objects: ['nope'] } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });
}, { dispatcher: { pollMs: 50 } });
