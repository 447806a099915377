import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/*
 * Seed 004 (Poster): hooks are set in the developer's application settings — the URL and the
 * entities — and the `verify` secret is the application's. A developer who moves the endpoint or
 * rotates the secret there expects every account that connected the application to follow, with no
 * reinstall: PATCH /api/v1/applications/:id does that, in one transaction.
 */
function posterVerifies(raw: string, secret: string): boolean {
  const h = JSON.parse(raw) as Record<string, unknown>;
  const parts = [h.account, h.object, h.object_id, h.action];
  if (h.data !== undefined) parts.push(h.data);
  parts.push(h.time, secret);
  return createHash('md5').update(parts.map(String).join(';')).digest('hex') === h.verify;
}

const OLD_SECRET = '0123456789abcdef0123456789abcdef';
const NEW_SECRET = 'fedcba9876543210fedcba9876543210';

async function admin(env: TestEnv, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object, token = env.adminToken) {
  const res = await env.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

describeEachDb('PATCH /api/v1/applications/:id: a Poster application changes its webhook for every installed account', (env) => {
  let rx: Receiver;
  beforeAll(async () => {
    // The old endpoint refuses stock hooks, so one is still waiting when the application moves.
    rx = await Receiver.start((r) => (r.url === '/old' && JSON.parse(r.body).object === 'stock' ? { status: 500 } : { status: 200, body: '{}' }));
  });
  afterAll(async () => rx.close());
  const at = (path: string) => rx.requests.filter((r) => r.url === path);

  it('the new URL, entities and secret reach both installs; a waiting hook goes to the new URL, signed with the new secret', async () => {
    const reg = await admin(env(), 'POST', '/api/v1/applications', { name: 'Sync', webhook: { url: rx.url('/old'), objects: ['stock', 'application'], secret: OLD_SECRET } });
    expect(reg.status).toBe(201);
    const a = await env().newAccount();
    const b = await env().newAccount();
    await call(env(), a, 'POST', `/api/v1/applications/${reg.body.id}/install`, undefined, 201);
    await call(env(), b, 'POST', `/api/v1/applications/${reg.body.id}/install`, undefined, 201);
    await eventually(() => at('/old').length === 2);
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 3 }] });
    const [subA] = (await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data;
    const waiting = async () =>
      env().store.db.selectFrom('deliveries').select(['url', 'status', 'attempts']).where('webhook_id', '=', subA.id).where('event_type', '=', 'stock.changed').executeTakeFirst();
    // Refused once at the old URL: pending, its next try hours away.
    await eventually(async () => (await waiting())?.attempts === 1);

    const changed = await admin(env(), 'PATCH', `/api/v1/applications/${reg.body.id}`, {
      name: 'Sync v2',
      webhook: { url: rx.url('/new'), objects: ['stock', 'product', 'application'], secret: NEW_SECRET },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: reg.body.id, name: 'Sync v2', webhook: { url: rx.url('/new'), objects: ['stock', 'product', 'application'], secret: NEW_SECRET } });
    // Shown in that answer only.
    const listed = (await admin(env(), 'GET', '/api/v1/applications')).body.data.find((x: any) => x.id === reg.body.id);
    expect(listed.webhook).toEqual({ url: rx.url('/new'), objects: ['stock', 'product', 'application'] });

    for (const acc of [a, b]) {
      const subs = (await call(env(), acc, 'GET', '/api/v1/webhooks', undefined, 200)).body.data;
      expect(subs.map((s: any) => [s.url, s.options.objects])).toEqual([[rx.url('/new'), ['stock', 'product', 'application']]]);
    }
    expect(await waiting()).toMatchObject({ url: rx.url('/new'), status: 'pending' });

    // b's next change goes to the new URL, verified with the new secret; its product creation too (a new entity).
    const wb = await warehouse(env(), b);
    const pb = await product(env(), b);
    await post(env(), b, { type: 'receipt', warehouseId: wb, lines: [{ productId: pb, quantity: 2 }] });
    const fromB = await eventually(() => {
      const got = at('/new').map((r) => ({ raw: r.body, h: JSON.parse(r.body) })).filter((x) => x.h.account === b.slug);
      return got.some((x) => x.h.object === 'stock') && got.some((x) => x.h.object === 'product') && got;
    });
    for (const { raw } of fromB) expect(posterVerifies(raw, NEW_SECRET)).toBe(true);
    expect(at('/old').every((r) => JSON.parse(r.body).account !== b.slug || JSON.parse(r.body).object === 'application')).toBe(true);
  });

  it('refuses what it cannot do, and changes nothing', async () => {
    const plain = await admin(env(), 'POST', '/api/v1/applications', { name: 'No hook' });
    const refused = await admin(env(), 'PATCH', `/api/v1/applications/${plain.body.id}`, { webhook: { url: rx.url('/x') } });
    expect([refused.status, refused.body.error.code, refused.body.error.details.field]).toEqual([400, 'VALIDATION_FAILED', 'webhook']);
    const empty = await admin(env(), 'PATCH', `/api/v1/applications/${plain.body.id}`, {});
    expect([empty.status, empty.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const missing = await admin(env(), 'PATCH', '/api/v1/applications/999999', { name: 'x' });
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
    const a = await env().newAccount();
    const byAccount = await admin(env(), 'PATCH', `/api/v1/applications/${plain.body.id}`, { name: 'taken over' }, a.token);
    expect(byAccount.status).toBe(401);
    const after = (await admin(env(), 'GET', '/api/v1/applications')).body.data.find((x: any) => x.id === plain.body.id);
    expect(after).toMatchObject({ name: 'No hook', webhook: null });
  });
}, { dispatcher: { pollMs: 50 } });
