import { expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call } from '../support/fixtures.js';

/**
 * IPv6 literals that carry an IPv4 address: IPv4-compatible (::a.b.c.d, which URL parsing stores as
 * [::7f00:1]) and IPv4-mapped (::ffff:a.b.c.d). With private targets off, every way a URL gets in
 * refuses them with TARGET_NOT_ALLOWED and stores nothing.
 */
const LITERALS = ['http://[::127.0.0.1]/', 'http://[::a00:1]/', 'http://[::ffff:127.0.0.1]/', 'http://[::7f00:1]:8080/hook', 'http://[::169.254.169.254]/latest'];
/** A public address, so no name is resolved. */
const PUBLIC_URL = 'http://93.184.216.34/hook';
const KLADANA = '/api/remap/1.2/entity/webhookstock';

const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`admin@shop:${token}`).toString('base64')}` });

async function kladana(e: TestEnv, token: string, method: 'GET' | 'POST' | 'PUT', path: string, payload?: unknown) {
  const res = await e.app.inject({ method, url: `${KLADANA}${path}`, headers: basic(token), ...(payload !== undefined && { payload: payload as object }) });
  return { status: res.statusCode, body: res.json() };
}

async function admin(e: TestEnv, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await e.app.inject({ method, url, headers: { authorization: `Bearer ${e.adminToken}` }, ...(payload && { payload }) });
  return { status: res.statusCode, body: res.json() };
}

describeEachDb(
  'IPv6 literals embedding an IPv4 address are private targets',
  (env) => {
    it('webhook create and PATCH refuse them', async () => {
      const a = await env().newAccount();
      for (const url of LITERALS) {
        const res = await call(env(), a, 'POST', '/api/v1/webhooks', { url }, 422);
        expect(res.body.error, url).toMatchObject({ code: 'TARGET_NOT_ALLOWED', details: { field: 'url' } });
      }
      expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
      const sub = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: PUBLIC_URL }, 201)).body;
      for (const url of LITERALS) {
        const res = await call(env(), a, 'PATCH', `/api/v1/webhooks/${sub.id}`, { url }, 422);
        expect(res.body.error.code, url).toBe('TARGET_NOT_ALLOWED');
      }
      expect((await call(env(), a, 'GET', `/api/v1/webhooks/${sub.id}`, undefined, 200)).body.url).toBe(PUBLIC_URL);
    });

    it('the Kladana webhookstock routes refuse them (create, bulk, change)', async () => {
      const a = await env().newAccount();
      const item = (url: string) => ({ url, enabled: true, reportType: 'all', stockType: 'stock' });
      for (const url of LITERALS) {
        const one = await kladana(env(), a.token, 'POST', '', item(url));
        expect([one.status, one.body.errors[0].code], url).toEqual([422, 4224]);
        const bulk = await kladana(env(), a.token, 'POST', '', [item(url)]);
        // A bulk request answers one error body per item.
        expect([bulk.status, bulk.body[0].errors[0].code], url).toEqual([422, 4224]);
      }
      expect((await kladana(env(), a.token, 'GET', '')).body.rows).toEqual([]);
      const made = await kladana(env(), a.token, 'POST', '', item(PUBLIC_URL));
      expect(made.status).toBe(200);
      for (const url of LITERALS) {
        const put = await kladana(env(), a.token, 'PUT', `/${made.body.id}`, { url });
        expect([put.status, put.body.errors[0].code], url).toEqual([422, 4224]);
      }
      expect((await kladana(env(), a.token, 'GET', `/${made.body.id}`)).body.url).toBe(PUBLIC_URL);
    });

    it("applications refuse them as their webhook's URL", async () => {
      for (const url of LITERALS) {
        const res = await admin(env(), 'POST', '/api/v1/applications', { name: `literal ${url}`, webhook: { url, objects: ['stock'] } });
        expect([res.status, res.body.error.code], url).toEqual([422, 'TARGET_NOT_ALLOWED']);
      }
      const list = await admin(env(), 'GET', '/api/v1/applications');
      expect(list.body.data.filter((x: { name: string }) => x.name.startsWith('literal '))).toEqual([]);
    });
  },
  { allowPrivateTargets: false },
);
