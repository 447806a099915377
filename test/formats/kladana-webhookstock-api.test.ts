import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueToken } from '../../src/accounts/tokens.js';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';
import { eventually, Receiver } from '../support/receiver.js';

/* Seed 001's `webhookstock` API: every endpoint, with the response shapes the document shows. */
const BASE = 'http://stockhook.test';
const PATH = '/api/remap/1.2/entity/webhookstock';
const ENTITY = `${BASE}${PATH}`;
const KEYS = ['meta', 'id', 'accountId', 'stockType', 'reportType', 'url', 'enabled'];

const metaOf = (id: string) => ({ href: `${ENTITY}/${id}`, metadataHref: `${ENTITY}/metadata`, type: 'webhookstock', mediaType: 'application/json' });
const entity = (id: string, accountId: string, f: { stockType?: string; reportType: string; url: string; enabled?: boolean }) => ({
  meta: metaOf(id),
  id,
  accountId,
  stockType: f.stockType ?? 'stock',
  reportType: f.reportType,
  url: f.url,
  enabled: f.enabled ?? true,
});
const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`admin@shop:${token}`).toString('base64')}` });

/**
 * A Kladana client reads errors as {"errors": [{"error": String, "code": Number, "moreInfo": String}]}
 * (an optional "parameter" names the field); it returns the first one.
 */
function kladanaError(body: any): { error: string; code: number; moreInfo: string; parameter?: string } {
  expect(Object.keys(body)).toEqual(['errors']);
  expect(Array.isArray(body.errors) && body.errors.length > 0).toBe(true);
  for (const e of body.errors) {
    expect(typeof e.error).toBe('string');
    expect(Number.isInteger(e.code)).toBe(true);
    expect(typeof e.moreInfo).toBe('string');
    for (const k of Object.keys(e)) expect(['error', 'code', 'moreInfo', 'parameter']).toContain(k);
  }
  return body.errors[0];
}
/** stockhook's numeric Kladana codes (docs/formats/kladana.md#errors). */
const CODE = { VALIDATION_FAILED: 4000, UNAUTHORIZED: 4010, PLAN_FORBIDS_WEBHOOKS: 4031, NOT_FOUND: 4040, ROUTE_NOT_FOUND: 4041, CONFLICT: 4090, WEBHOOK_LIMIT_REACHED: 4225 };

/** Requests as Kladana clients send them: HTTP Basic, the account token as password. */
async function ws(e: TestEnv, token: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown) {
  const res = await e.app.inject({ method, url: `${PATH}${path}`, headers: basic(token), ...(payload !== undefined && { payload: payload as object }) });
  return { status: res.statusCode, body: res.body ? res.json() : undefined, raw: res.body };
}

describeEachDb(
  'kladana webhookstock API (seed 001)',
  (env) => {
    let rx: Receiver;
    beforeAll(async () => {
      rx = await Receiver.start(() => ({ status: 204 }));
    });
    afterAll(async () => rx.close());

    const create = async (a: TestAccount, url: string, reportType = 'all', token = a.token) => {
      const r = await ws(env(), token, 'POST', '', { url, enabled: true, reportType, stockType: 'stock' });
      expect(r.status, r.raw).toBe(200);
      return r.body;
    };
    const size = async (a: TestAccount) => (await ws(env(), a.token, 'GET', '')).body.meta.size as number;

    it('lists, creates, gets, changes, disables and deletes with the seed\'s shapes', async () => {
      const a = await env().newAccount();
      const empty = await ws(env(), a.token, 'GET', '');
      expect(empty).toMatchObject({ status: 200 });
      expect(empty.body).toEqual({
        context: {
          employee: {
            meta: { href: `${BASE}/api/remap/1.2/context/employee`, metadataHref: `${BASE}/api/remap/1.2/entity/employee/metadata`, type: 'employee', mediaType: 'application/json' },
          },
        },
        meta: { href: ENTITY, metadataHref: `${ENTITY}/metadata`, type: 'webhookstock', mediaType: 'application/json', size: 0, limit: 1000, offset: 0 },
        rows: [],
      });
      const made = await create(a, 'http://www.example.com');
      expect(made).toEqual(entity(made.id, a.id, { reportType: 'all', url: 'http://www.example.com' }));
      expect(Object.keys(made)).toEqual(KEYS);
      const list = (await ws(env(), a.token, 'GET', '')).body;
      expect(list.meta.size).toBe(1);
      expect(list.rows).toEqual([made]);
      expect((await ws(env(), a.token, 'GET', `/${made.id}`)).body).toEqual(made);
      // Bearer works as well.
      expect((await call(env(), a, 'GET', `${PATH}/${made.id}`, undefined, 200)).body).toEqual(made);
      const changed = await ws(env(), a.token, 'PUT', `/${made.id}`, { url: 'http://www.example.com', stockType: 'stock', reportType: 'bystore' });
      expect(changed).toMatchObject({ status: 200 });
      expect(changed.body).toEqual(entity(made.id, a.id, { reportType: 'bystore', url: 'http://www.example.com' }));
      const off = await ws(env(), a.token, 'PUT', `/${made.id}`, { enabled: false });
      expect(off.body).toEqual(entity(made.id, a.id, { reportType: 'bystore', url: 'http://www.example.com', enabled: false }));
      // The same subscription, seen through stockhook's own API.
      const all = (await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data;
      expect(all).toEqual([expect.objectContaining({ id: made.id, format: 'kladana', enabled: false, options: { stockType: 'stock', reportType: 'bystore' } })]);
      const del = await ws(env(), a.token, 'DELETE', `/${made.id}`);
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ info: `Entity 'webhookstock' with UUID: ${made.id} successfully deleted` });
      expect((await ws(env(), a.token, 'GET', `/${made.id}`)).status).toBe(404);
      expect(await size(a)).toBe(0);
    });

    it('a delete that runs alongside a refused one deletes its row and answers 200; the unknown id answers 404', async () => {
      // On SQLite both share a group commit, which runs again in savepoints when one is refused:
      // each delete must decide everything inside its write.
      const a = await env().newAccount();
      for (let t = 0; t < 3; t++) {
        const made = await create(a, `http://www.example.com/grouped-${t}`);
        const [ok, missing] = await Promise.all([ws(env(), a.token, 'DELETE', `/${made.id}`), ws(env(), a.token, 'DELETE', `/${randomUUID()}`)]);
        expect([ok.status, missing.status]).toEqual([200, 404]);
        expect(ok.body).toEqual({ info: `Entity 'webhookstock' with UUID: ${made.id} successfully deleted` });
        expect((await ws(env(), a.token, 'GET', `/${made.id}`)).status).toBe(404);
      }
      expect(await size(a)).toBe(0);
    });

    it('unknown ids, other formats and other accounts are 404; no token is 401', async () => {
      const a = await env().newAccount();
      const b = await env().newAccount();
      const native = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://www.example.com/n' }, 201)).body;
      const mine = await create(a, 'http://www.example.com/a');
      for (const id of [randomUUID(), 'not-a-uuid', native.id]) {
        for (const [method, body] of [['GET'], ['PUT', { enabled: false }], ['DELETE']] as const) {
          const r = await ws(env(), a.token, method, `/${id}`, body);
          expect(r.status, `${method} ${id}`).toBe(404);
          expect(kladanaError(r.body).code).toBe(CODE.NOT_FOUND);
        }
      }
      expect((await ws(env(), b.token, 'GET', `/${mine.id}`)).status).toBe(404);
      expect((await ws(env(), b.token, 'GET', '')).body.rows).toEqual([]);
      const anonymous = await env().app.inject({ method: 'GET', url: PATH });
      expect(anonymous.statusCode).toBe(401);
      expect(kladanaError(anonymous.json()).code).toBe(CODE.UNAUTHORIZED);
      const nowhere = await ws(env(), a.token, 'GET', '/../nothing-here');
      expect([nowhere.status, kladanaError(nowhere.body).code]).toEqual([404, CODE.ROUTE_NOT_FOUND]);
      // The rest of the API keeps stockhook's own shape.
      const v1 = await call(env(), a, 'GET', '/api/v1/webhooks/00000000-0000-4000-8000-000000000000', undefined, 404);
      expect(v1.body.error.code).toBe('NOT_FOUND');
    });

    it('bulk POST creates and updates in one transaction; a refused item changes nothing', async () => {
      const a = await env().newAccount();
      const first = await create(a, 'http://www.example.com');
      const both = await ws(env(), a.token, 'POST', '', [
        { url: 'http://www.example.com/2', stockType: 'stock', reportType: 'all' },
        { meta: metaOf(first.id), url: 'http://www.example.com', stockType: 'stock', reportType: 'bystore' },
      ]);
      expect(both.status, both.raw).toBe(200);
      expect(both.body).toEqual([
        entity(both.body[0].id, a.id, { reportType: 'all', url: 'http://www.example.com/2' }),
        entity(first.id, a.id, { reportType: 'bystore', url: 'http://www.example.com' }),
      ]);
      const unknown = await ws(env(), a.token, 'POST', '', [
        { url: 'http://www.example.com/3', stockType: 'stock', reportType: 'all' },
        { meta: metaOf(randomUUID()), reportType: 'all' },
      ]);
      expect(unknown.status).toBe(404);
      // Per item, in request order: the refused item's error, the others not applied.
      expect(unknown.body).toHaveLength(2);
      expect(unknown.body.map((x: any) => kladanaError(x).code)).toEqual([CODE.CONFLICT, CODE.NOT_FOUND]);
      const twice = await ws(env(), a.token, 'POST', '', [
        { url: 'http://www.example.com/4', stockType: 'stock', reportType: 'all' },
        { url: 'http://www.example.com/4', stockType: 'stock', reportType: 'all' },
      ]);
      expect(twice.status).toBe(409);
      expect(twice.body.map((x: any) => kladanaError(x).code)).toEqual([CODE.CONFLICT, CODE.CONFLICT]);
      expect(kladanaError(twice.body[0]).error).toContain('not applied');
      expect(kladanaError(twice.body[1]).error).toContain('[1]');
      const invalid = await ws(env(), a.token, 'POST', '', [{ meta: metaOf(first.id), reportType: 'all' }, { url: 'http://www.example.com/5', reportType: 'all' }]);
      expect(invalid.status).toBe(400);
      expect(kladanaError(invalid.body[1])).toMatchObject({ code: CODE.VALIDATION_FAILED, parameter: 'stockType' });
      expect(kladanaError(invalid.body[0]).error).toContain('not applied');
      const rows = (await ws(env(), a.token, 'GET', '')).body.rows;
      expect(rows.map((r: any) => [r.url, r.reportType])).toEqual([
        ['http://www.example.com', 'bystore'],
        ['http://www.example.com/2', 'all'],
      ]);
      const page = (await ws(env(), a.token, 'GET', '?limit=1&offset=1')).body;
      expect(page.meta).toMatchObject({ size: 2, limit: 1, offset: 1 });
      expect(page.rows.map((r: any) => r.url)).toEqual(['http://www.example.com/2']);
    });

    it('bulk delete answers one info per webhook; an unknown one deletes nothing', async () => {
      const a = await env().newAccount();
      const x = await create(a, 'http://www.example.com/x');
      const y = await create(a, 'http://www.example.com/y');
      const refused = await ws(env(), a.token, 'POST', '/delete', [{ meta: metaOf(x.id) }, { meta: metaOf(randomUUID()) }]);
      expect(refused.status).toBe(404);
      expect(refused.body.map((x: any) => kladanaError(x).code)).toEqual([CODE.CONFLICT, CODE.NOT_FOUND]);
      expect(await size(a)).toBe(2);
      const done = await ws(env(), a.token, 'POST', '/delete', [{ meta: metaOf(x.id) }, { meta: metaOf(y.id) }]);
      expect(done.status).toBe(200);
      expect(done.body).toEqual([
        { info: `Entity 'webhookstock' with UUID: ${x.id} successfully deleted` },
        { info: `Entity 'webhookstock' with UUID: ${y.id} successfully deleted` },
      ]);
      expect(await size(a)).toBe(0);
      const bad = await ws(env(), a.token, 'POST', '/delete', [{ url: 'http://www.example.com' }]);
      expect(bad.status).toBe(400);
      expect(kladanaError(bad.body[0])).toMatchObject({ code: CODE.VALIDATION_FAILED, parameter: '[0].meta.href' });
    });

    it('(stockType, reportType, url) is unique per account: 409', async () => {
      const a = await env().newAccount();
      await create(a, 'http://www.example.com');
      const again = await ws(env(), a.token, 'POST', '', { url: 'http://www.example.com', stockType: 'stock', reportType: 'all' });
      expect(again.status).toBe(409);
      expect(kladanaError(again.body).code).toBe(CODE.CONFLICT);
      const viaV1 = await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://www.example.com', format: 'kladana', stockType: 'stock', reportType: 'all' });
      expect(viaV1.status).toBe(409);
      const other = await create(a, 'http://www.example.com', 'bystore');
      expect((await ws(env(), a.token, 'PUT', `/${other.id}`, { reportType: 'all' })).status).toBe(409);
      // Another account may use the same url.
      await create(await env().newAccount(), 'http://www.example.com');
    });

    it('at most 5 per (stockType, reportType) for users and 1 for an application', async () => {
      const a = await env().newAccount();
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await create(a, `http://www.example.com/u${i}`));
      await ws(env(), a.token, 'PUT', `/${made[4].id}`, { enabled: false });
      const sixth = await ws(env(), a.token, 'POST', '', { url: 'http://www.example.com/u5', stockType: 'stock', reportType: 'all' });
      expect(sixth.status).toBe(422);
      expect(kladanaError(sixth.body).code).toBe(CODE.WEBHOOK_LIMIT_REACHED);
      const viaV1 = await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://www.example.com/u5', format: 'kladana', stockType: 'stock', reportType: 'all' });
      expect(viaV1.body.error?.code).toBe('WEBHOOK_LIMIT_REACHED');
      const byStore = await create(a, 'http://www.example.com/u5', 'bystore');
      expect(kladanaError((await ws(env(), a.token, 'PUT', `/${byStore.id}`, { reportType: 'all' })).body).code).toBe(CODE.WEBHOOK_LIMIT_REACHED);
      await ws(env(), a.token, 'DELETE', `/${made[0].id}`);
      await create(a, 'http://www.example.com/u6');

      const appToken = await issueToken(env().store.db, a.id, 'application', Date.now(), 42);
      const byApp = await create(a, 'http://www.example.com/app', 'all', appToken);
      expect(byApp.authorApplication).toEqual({
        meta: {
          href: `${BASE}/api/remap/1.2/entity/application/42`,
          metadataHref: `${BASE}/api/remap/1.2/entity/application/metadata`,
          type: 'application',
          mediaType: 'application/json',
        },
      });
      expect(Object.keys(byApp)).toEqual(['meta', 'authorApplication', ...KEYS.slice(1)]);
      const appSecond = await ws(env(), appToken, 'POST', '', { url: 'http://www.example.com/app2', stockType: 'stock', reportType: 'all' });
      expect(appSecond.status).toBe(422);
      expect(kladanaError(appSecond.body)).toMatchObject({ code: CODE.WEBHOOK_LIMIT_REACHED });
      expect(kladanaError(appSecond.body).error).toContain('1');
      await create(a, 'http://www.example.com/app2', 'bystore', appToken);
      // Another application has its own one; a user change keeps the application as the author.
      await create(a, 'http://www.example.com/other-app', 'all', await issueToken(env().store.db, a.id, 'application', Date.now(), 43));
      const renamed = await ws(env(), a.token, 'PUT', `/${byApp.id}`, { url: 'http://www.example.com/app-renamed' });
      expect(renamed.body.authorApplication.meta.href).toBe(`${BASE}/api/remap/1.2/entity/application/42`);
      expect((await ws(env(), a.token, 'GET', '')).body.rows.filter((r: any) => r.authorApplication)).toHaveLength(3);
    });

    it('url longer than 255 characters is 400; field values are checked', async () => {
      const a = await env().newAccount();
      const at255 = `http://www.example.com/${'a'.repeat(255 - 23)}`;
      expect(at255).toHaveLength(255);
      const ok = await create(a, at255);
      for (const [body, field] of [
        [{ url: `${at255}b`, stockType: 'stock', reportType: 'all' }, 'url'],
        [{ url: 'http://www.example.com', reportType: 'all' }, 'stockType'],
        [{ url: 'http://www.example.com', stockType: 'fifo', reportType: 'all' }, 'stockType'],
        [{ url: 'http://www.example.com', stockType: 'stock', reportType: 'weekly' }, 'reportType'],
        [{ url: 'http://www.example.com', stockType: 'stock', reportType: 'all', enabled: 'yes' }, 'enabled'],
        [{ stockType: 'stock', reportType: 'all' }, 'url'],
        [{ meta: { href: 'http://elsewhere/entity/product/1' }, reportType: 'all' }, 'meta.href'],
      ] as const) {
        const r = await ws(env(), a.token, 'POST', '', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(kladanaError(r.body)).toMatchObject({ code: CODE.VALIDATION_FAILED, parameter: field });
      }
      expect(kladanaError((await ws(env(), a.token, 'PUT', `/${ok.id}`, { url: `${at255}b` })).body).parameter).toBe('url');
      const viaV1 = await call(env(), a, 'POST', '/api/v1/webhooks', { url: `${at255}b`, format: 'kladana', stockType: 'stock', reportType: 'all' });
      expect(viaV1.status).toBe(400);
      expect(await size(a)).toBe(1);
    });

    it('every metadataHref it hands out is served as Kladana metadata JSON', async () => {
      const a = await env().newAccount();
      const appToken = await issueToken(env().store.db, a.id, 'application', Date.now(), 77);
      const made = await create(a, 'http://www.example.com/meta', 'all', appToken);
      const list = (await ws(env(), a.token, 'GET', '')).body;
      const hrefs = new Set<string>([list.meta.metadataHref, list.context.employee.meta.metadataHref, made.meta.metadataHref, made.authorApplication.meta.metadataHref]);
      expect(hrefs.size).toBe(3);
      for (const href of hrefs) {
        const res = await env().app.inject({ method: 'GET', url: href.slice(BASE.length), headers: basic(a.token) });
        expect(res.statusCode, href).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.json()).toEqual({ meta: { href, mediaType: 'application/json' }, attributes: [], createShared: false });
      }
      expect((await env().app.inject({ method: 'GET', url: `${PATH}/metadata` })).statusCode).toBe(401);
    });

    it('the free plan can read but not create, change or delete: 403', async () => {
      const free = await env().newAccount('free');
      expect((await ws(env(), free.token, 'GET', '')).body.rows).toEqual([]);
      const id = randomUUID();
      for (const [method, path, body] of [
        ['POST', '', { url: 'http://www.example.com', stockType: 'stock', reportType: 'all' }],
        ['POST', '', [{ url: 'http://www.example.com', stockType: 'stock', reportType: 'all' }]],
        ['PUT', `/${id}`, { enabled: false }],
        ['DELETE', `/${id}`, undefined],
        ['POST', '/delete', [{ meta: metaOf(id) }]],
      ] as const) {
        const r = await ws(env(), free.token, method, path, body);
        expect(r.status, `${method} ${path}`).toBe(403);
        expect(kladanaError(r.body.errors ? r.body : r.body[0]).code).toBe(CODE.PLAN_FORBIDS_WEBHOOKS);
      }
      const viaV1 = await call(env(), free, 'POST', '/api/v1/webhooks', { url: 'http://www.example.com', format: 'kladana', stockType: 'stock', reportType: 'all' });
      expect(viaV1.status).toBe(403);
    });

    it('PUT {enabled:false} stops notifications; enabling again resumes them', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      const hook = await create(a, rx.url('/ws-toggle'));
      // The public window is 60-300 s; the test shortens it in the database (see kladana.test.ts).
      await env().store.db.updateTable('webhooks').set({ coalesce_seconds: 1 }).where('id', '=', hook.id).execute();
      expect((await ws(env(), a.token, 'PUT', `/${hook.id}`, { enabled: false })).body.enabled).toBe(false);
      await post(env(), a, { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] });
      // A notification would be a delivery row written with the change, in its transaction: there is none.
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${hook.id}/deliveries`, undefined, 200)).body.data).toEqual([]);
      expect((await ws(env(), a.token, 'PUT', `/${hook.id}`, { enabled: true })).body.enabled).toBe(true);
      await post(env(), a, { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1 }] });
      await eventually(() => rx.requests.some((r) => r.url.startsWith('/ws-toggle?requestId=')), 5000);
      const got = rx.on('/ws-toggle');
      expect(got).toHaveLength(1);
      expect(JSON.parse(got[0].body)).toMatchObject({ accountId: a.id, stockType: 'stock', reportType: 'all' });
    }, 10_000);
  },
  { dispatcher: { pollMs: 100 } },
);
