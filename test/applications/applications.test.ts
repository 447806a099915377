import { expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call, events } from '../support/fixtures.js';

async function admin(env: TestEnv, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await env.app.inject({ method, url, headers: { authorization: `Bearer ${env.adminToken}` }, ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

async function register(env: TestEnv, name = 'Loyalty app'): Promise<number> {
  const res = await admin(env, 'POST', '/api/v1/applications', { name });
  expect(res.status).toBe(201);
  return res.body.id;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describeEachDb('applications', (env) => {
  it('only the administrator registers and lists applications', async () => {
    const res = await admin(env(), 'POST', '/api/v1/applications', { name: 'POS bridge' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(Number), name: 'POS bridge', webhook: null, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(Number.isInteger(res.body.id)).toBe(true);
    const list = await admin(env(), 'GET', '/api/v1/applications');
    expect(list.status).toBe(200);
    expect(list.body.data).toContainEqual(res.body);

    // An account token is not the administrator's: 401, as for POST /api/v1/accounts (http-basics).
    const a = await env().newAccount();
    const refused = await call(env(), a, 'POST', '/api/v1/applications', { name: 'sneaky' }, 401);
    expect(refused.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'not the administrator token' });
    expect((await call(env(), a, 'GET', '/api/v1/applications', undefined, 401)).body.error.code).toBe('UNAUTHORIZED');
    expect((await call(env(), null, 'POST', '/api/v1/applications', { name: 'anon' })).status).toBe(401);
    expect((await admin(env(), 'POST', '/api/v1/applications', { name: '' })).status).toBe(400);
    // Nothing was registered by the refused requests.
    const after = await admin(env(), 'GET', '/api/v1/applications');
    expect(after.body.data.map((x: any) => x.name)).not.toContain('sneaky');
  });

  it('install returns a working application token and emits application.installed', async () => {
    const appId = await register(env());
    const a = await env().newAccount();
    const res = await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
    expect(res.body).toEqual({ applicationId: appId, accessToken: expect.any(String) });
    const token = res.body.accessToken as string;
    expect(token).not.toBe(a.token);

    const wh = await env().app.inject({ method: 'POST', url: '/api/v1/warehouses', headers: bearer(token), payload: { name: 'By app' } });
    expect(wh.statusCode).toBe(201);
    const list = await env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: bearer(token) });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((w: any) => w.name)).toEqual(['By app']);

    const row = await env().store.db.selectFrom('tokens').select(['kind', 'application_id']).where('account_id', '=', a.id).where('kind', '=', 'application').execute();
    expect(row).toEqual([{ kind: 'application', application_id: appId }]);

    const ev = (await events(env(), a)).filter((e) => e.type === 'application.installed');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ object: 'application', objectId: String(appId), action: 'added' });
    // The token is shown once, in the install answer, and nowhere else: not in the event.
    expect(ev[0].data).toEqual({ applicationId: appId, user_id: a.number });
    const raw = await env().app.inject({ method: 'GET', url: '/api/v1/events?after=0', headers: a.auth });
    expect(raw.body).not.toContain(token);
    expect((await env().app.inject({ method: 'GET', url: '/api/v1/events?after=0', headers: bearer(token) })).body).not.toContain(token);
  });

  it('installing twice is a 409 that changes nothing; unknown applications are 404', async () => {
    const appId = await register(env());
    const a = await env().newAccount();
    await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
    const before = (await events(env(), a)).length;
    const again = await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect((await events(env(), a)).length).toBe(before);
    const tokens = await env().store.db.selectFrom('tokens').select('kind').where('account_id', '=', a.id).where('kind', '=', 'application').execute();
    expect(tokens).toHaveLength(1);
    expect((await call(env(), a, 'POST', '/api/v1/applications/999999/install', undefined, 404)).body.error.code).toBe('NOT_FOUND');
    // Another account installs the same application independently.
    const b = await env().newAccount();
    await call(env(), b, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
  });

  // Single-writer on SQLite (see test/inventory/ledger-invariants.test.ts); the unique key is raced on PostgreSQL.
  it('concurrent installs of one application: exactly one wins', async () => {
    const appId = await register(env());
    const a = await env().newAccount();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => call(env(), a, 'POST', `/api/v1/applications/${appId}/install`)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409]);
    expect((await events(env(), a)).filter((e) => e.type === 'application.installed')).toHaveLength(1);
  });

  it('uninstall revokes the token (401 afterwards), emits application.uninstalled, and allows a reinstall', async () => {
    const appId = await register(env());
    const a = await env().newAccount();
    const { body } = await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
    const token = body.accessToken as string;
    expect((await env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: bearer(token) })).statusCode).toBe(200);

    // The application's own token cannot install anything.
    const byApp = await env().app.inject({ method: 'POST', url: `/api/v1/applications/${appId}/install`, headers: bearer(token) });
    expect(byApp.statusCode).toBe(403);

    await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 204);
    const after = await env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: bearer(token) });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('UNAUTHORIZED');
    // The user's own token keeps working.
    await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 200);

    const ev = (await events(env(), a)).filter((e) => e.type.startsWith('application.'));
    expect(ev.map((e) => e.type)).toEqual(['application.installed', 'application.uninstalled']);
    expect(ev[1]).toMatchObject({ object: 'application', objectId: String(appId), action: 'removed' });
    expect(ev[1].data).toEqual({ applicationId: appId, user_id: a.number });

    expect((await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 404)).body.error.code).toBe('NOT_FOUND');
    const again = await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201);
    expect(again.body.accessToken).not.toBe(token);
  });

  it('an application can uninstall itself but not another application', async () => {
    const one = await register(env(), 'one');
    const two = await register(env(), 'two');
    const a = await env().newAccount();
    const t1 = (await call(env(), a, 'POST', `/api/v1/applications/${one}/install`, undefined, 201)).body.accessToken;
    await call(env(), a, 'POST', `/api/v1/applications/${two}/install`, undefined, 201);
    const other = await env().app.inject({ method: 'POST', url: `/api/v1/applications/${two}/uninstall`, headers: bearer(t1) });
    expect(other.statusCode).toBe(403);
    const self = await env().app.inject({ method: 'POST', url: `/api/v1/applications/${one}/uninstall`, headers: bearer(t1) });
    expect(self.statusCode).toBe(204);
    expect((await env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: bearer(t1) })).statusCode).toBe(401);
  });
});
