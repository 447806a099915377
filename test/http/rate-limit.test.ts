import { expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { product, warehouse } from '../support/fixtures.js';

/*
 * Per-token rate limits (issue 14.4): a token past its limit gets 429 RATE_LIMITED with Retry-After
 * and RateLimit-* headers and changes nothing; other tenants, other tokens and the administrator
 * are not refused; requests without a token count against their client address (issue 26.6).
 */

const MAX = 5;

const get = (env: TestEnv, token: string | null, url: string) =>
  env.app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}` } : {} });

describeEachDb(
  'rate limits',
  (env) => {
    it("one tenant's flood is refused with 429 and standard headers; another tenant is not refused", async () => {
      const a = await env().newAccount();
      const b = await env().newAccount();
      // A floods: 40 requests at once, of which exactly MAX get through.
      const flood = await Promise.all(Array.from({ length: 40 }, () => get(env(), a.token, '/api/v1/warehouses')));
      expect(flood.filter((r) => r.statusCode === 200)).toHaveLength(MAX);
      const refused = flood.filter((r) => r.statusCode === 429);
      expect(refused).toHaveLength(40 - MAX);
      const r = refused[0];
      expect(r.json().error.code).toBe('RATE_LIMITED');
      expect(r.json().error.details).toMatchObject({ limit: MAX, windowSeconds: 60 });
      const retryAfter = Number(r.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect([r.headers['ratelimit-limit'], r.headers['ratelimit-remaining'], Number(r.headers['ratelimit-reset'])]).toEqual([String(MAX), '0', retryAfter]);

      // B, meanwhile, has its whole allowance, and its answers say so.
      for (let i = 1; i <= MAX; i++) {
        const ok = await get(env(), b.token, '/api/v1/warehouses');
        expect([ok.statusCode, ok.headers['ratelimit-remaining']]).toEqual([200, String(MAX - i)]);
      }
    });

    it('a refused write changes nothing; limits are per token; unknown tokens are 401, not counted', async () => {
      const a = await env().newAccount();
      const w = await warehouse(env(), a);
      const p = await product(env(), a);
      // An application's token in the same account has its own allowance.
      const admin = { authorization: `Bearer ${env().adminToken}` };
      const appId = (await env().app.inject({ method: 'POST', url: '/api/v1/applications', headers: admin, payload: { name: 'ERP' } })).json().id;
      const install = await env().app.inject({ method: 'POST', url: `/api/v1/applications/${appId}/install`, headers: a.auth });
      expect(install.statusCode).toBe(201);
      const receipt = { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] };
      const statuses: number[] = [];
      for (let i = 0; i < MAX; i++) {
        statuses.push((await env().app.inject({ method: 'POST', url: '/api/v1/documents', headers: a.auth, payload: receipt })).statusCode);
      }
      // 3 requests went to setup (warehouse, product, install): 2 receipts pass, then 429.
      expect(statuses).toEqual([201, 201, 429, 429, 429]);
      const appToken = install.json().accessToken as string;
      const levels = await get(env(), appToken, `/api/v1/stock?productId=${p}`);
      expect(levels.statusCode).toBe(200);
      expect(levels.json().data.map((l: any) => l.amount)).toEqual([2]);
      for (let i = 0; i < 10; i++) expect((await get(env(), 'shk_unknown', '/api/v1/warehouses')).statusCode).toBe(401);
    });

    it('the administrator is not limited; requests without a token count against their address; Kladana routes (in its error shape)', async () => {
      for (let i = 0; i < 3 * MAX; i++) {
        const res = await get(env(), env().adminToken, '/api/v1/applications');
        expect(res.statusCode).toBe(200);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      }
      // Open routes and unknown routes share the client address's bucket: MAX pass, then 429.
      const open: number[] = [];
      for (let i = 0; i < MAX + 1; i++) open.push((await get(env(), null, i % 2 ? '/healthz' : '/no/such/route')).statusCode);
      expect(open).toEqual([404, 200, 404, 200, 404, 429]);
      const anon = await get(env(), null, '/healthz');
      expect([anon.statusCode, anon.json().error.code, anon.headers['ratelimit-limit']]).toEqual([429, 'RATE_LIMITED', String(MAX)]);
      expect(anon.json().error.message).toContain('from this address without a token');
      // A token sent to an open route proves nothing: it is still the address that counts.
      expect((await get(env(), 'shk_made_up', '/healthz')).statusCode).toBe(429);
      const a = await env().newAccount();
      const codes: number[] = [];
      for (let i = 0; i <= MAX; i++) codes.push((await get(env(), a.token, '/api/remap/1.2/entity/webhookstock')).statusCode);
      expect(codes).toEqual([...Array(MAX).fill(200), 429]);
      const res = await get(env(), a.token, '/api/remap/1.2/entity/webhookstock');
      expect(res.statusCode).toBe(429);
      expect(res.json().errors[0]).toMatchObject({ code: 4290, moreInfo: expect.stringContaining('RATE_LIMITED') });
      expect(res.headers['retry-after']).toBeDefined();
    });
  },
  { rateLimit: { max: MAX, windowMs: 60_000 } },
);
