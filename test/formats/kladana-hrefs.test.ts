import { expect, it } from 'vitest';
import { describeEachDb, TEST_PUBLIC_URL, type TestEnv } from '../support/env.js';
import { call } from '../support/fixtures.js';

/*
 * Seed 001 (001_b7c5f6582b1849dd.txt) shows links in its answers: the list's
 * `"context": {"employee": {"meta": {"href": "https://app.kladana.in/api/remap/1.2/context/employee", ...}}}`, and a
 * webhook's `authorApplication`, the "Metadata of the Application that created the leftover webhook". A Kladana client
 * follows a `meta.href` to read what it names, so every href stockhook hands out must answer.
 */
const BASE = TEST_PUBLIC_URL;
const PATH = '/api/remap/1.2/entity/webhookstock';
const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`admin@shop:${token}`).toString('base64')}` });

async function get(e: TestEnv, token: string, href: string) {
  expect(href.startsWith(`${BASE}/`), href).toBe(true);
  const res = await e.app.inject({ method: 'GET', url: href.slice(BASE.length), headers: basic(token) });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.body ? res.json() : undefined };
}

/** Every `href` and `metadataHref` anywhere in an answer. */
function hrefsIn(x: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(x)) for (const v of x) hrefsIn(v, out);
  else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'href' || k === 'metadataHref') && typeof v === 'string') out.add(v);
      else hrefsIn(v, out);
    }
  }
  return out;
}

describeEachDb('kladana hrefs answer (seed 001)', (env) => {
  it('every href in the webhookstock answers, and in what they answer, answers 200 with what it names', async () => {
    const e = env();
    const reg = await e.app.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${e.adminToken}` }, payload: { name: 'Stock sync' } });
    expect(reg.statusCode).toBe(201);
    const appId = reg.json().id as number;
    const a = await e.newAccount();
    const appToken = (await call(e, a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201)).body.accessToken as string;
    const byApp = await e.app.inject({ method: 'POST', url: PATH, headers: basic(appToken), payload: { url: 'http://www.example.com/app', stockType: 'stock', reportType: 'all' } });
    expect(byApp.statusCode).toBe(200);
    const made = byApp.json();
    expect(made.authorApplication.meta.href).toBe(`${BASE}/api/remap/1.2/entity/application/${appId}`);
    await e.app.inject({ method: 'POST', url: PATH, headers: basic(a.token), payload: { url: 'http://www.example.com/user', stockType: 'stock', reportType: 'bystore' } });
    const list = (await get(e, a.token, `${BASE}${PATH}`)).body;
    expect(list.context.employee.meta.href).toBe(`${BASE}/api/remap/1.2/context/employee`);

    // Follow every href, and every href in what they answer, until nothing new turns up.
    const seen = new Set<string>();
    let next = hrefsIn([list, made]);
    while (next.size > 0) {
      const found = new Set<string>();
      for (const href of next) {
        seen.add(href);
        const res = await get(e, a.token, href);
        expect(res.status, href).toBe(200);
        expect(res.type, href).toMatch(/^application\/json/);
        // A meta names the thing it links to: its own href is the one followed.
        if (res.body?.meta?.href !== undefined) expect(res.body.meta.href, href).toBe(href);
        for (const h of hrefsIn(res.body)) if (!seen.has(h)) found.add(h);
      }
      next = found;
    }
    expect(seen).toContain(`${BASE}/api/remap/1.2/context/employee`);
    expect(seen).toContain(`${BASE}/api/remap/1.2/entity/application/${appId}`);

    // The employee is the account (stockhook has no staff users), whichever token asks.
    const name = (await e.store.db.selectFrom('accounts').select('name').where('id', '=', a.id).executeTakeFirstOrThrow()).name;
    for (const token of [a.token, appToken]) {
      const employee = await get(e, token, `${BASE}/api/remap/1.2/context/employee`);
      expect(employee.body).toEqual({ meta: list.context.employee.meta, id: a.id, accountId: a.id, name });
      const application = await get(e, token, made.authorApplication.meta.href);
      expect(application.body).toEqual({ meta: made.authorApplication.meta, id: appId, accountId: a.id, name: 'Stock sync' });
    }

    // An application this account does not know, none at all, or (to an application's token, which
    // sees only its own webhooks) another application is 404 in Kladana's error shape.
    const b = await e.newAccount();
    const other = (await e.app.inject({ method: 'POST', url: '/api/v1/applications', headers: { authorization: `Bearer ${e.adminToken}` }, payload: { name: 'Other' } })).json().id as number;
    const otherToken = (await call(e, a, 'POST', `/api/v1/applications/${other}/install`, undefined, 201)).body.accessToken as string;
    expect((await get(e, a.token, `${BASE}/api/remap/1.2/entity/application/${other}`)).body.name).toBe('Other');
    for (const [token, href] of [
      [b.token, made.authorApplication.meta.href],
      [a.token, `${BASE}/api/remap/1.2/entity/application/999999`],
      [otherToken, made.authorApplication.meta.href],
    ]) {
      const res = await get(e, token, href);
      expect(res.status, href).toBe(404);
      expect(res.body.errors[0]).toMatchObject({ code: 4040 });
    }
    // Without credentials nothing is told.
    const anonymous = await e.app.inject({ method: 'GET', url: '/api/remap/1.2/context/employee' });
    expect(anonymous.statusCode).toBe(401);
  });
});
