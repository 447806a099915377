import { expect, it } from 'vitest';
import { describeEachDb, type TestAccount, type TestEnv } from '../support/env.js';
import { call } from '../support/fixtures.js';

/*
 * Account tokens as credentials: named, scoped `read` or `write`, listed without their secrets,
 * created, rotated and revoked by the administrator or by the account's own write token.
 */

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
let clock = T0;

const as = (token: string): TestAccount => ({ id: '', number: 0, slug: '', token, auth: { authorization: `Bearer ${token}` } });
const admin = (env: TestEnv): TestAccount => as(env.adminToken);

async function tokens(env: TestEnv, who: TestAccount, accountId?: string): Promise<any[]> {
  return (await call(env, who, 'GET', accountId ? `/api/v1/accounts/${accountId}/tokens` : '/api/v1/tokens', undefined, 200)).body.data;
}

describeEachDb(
  'account tokens',
  (env) => {
    it('the administrator lists accounts', async () => {
      const a = await env().newAccount('free');
      const b = await env().newAccount();
      const list = (await call(env(), admin(env()), 'GET', '/api/v1/accounts', undefined, 200)).body.data as any[];
      expect(list.filter((x) => x.id === a.id || x.id === b.id)).toEqual([
        { id: a.id, number: a.number, slug: a.slug, name: expect.stringMatching(/^Test /), plan: 'free', createdAt: new Date(clock).toISOString() },
        { id: b.id, number: b.number, slug: b.slug, name: expect.stringMatching(/^Test /), plan: 'paid', createdAt: new Date(clock).toISOString() },
      ]);
      expect(list.map((x) => x.number)).toEqual([...list.map((x) => x.number)].sort((x, y) => x - y));
      const refused = await call(env(), a, 'GET', '/api/v1/accounts', undefined, 401);
      expect(refused.body.error.code).toBe('UNAUTHORIZED');
    });

    it("an account's first token is a write token named default; its last use is kept to the minute", async () => {
      clock = T0;
      const a = await env().newAccount();
      // The request that lists is itself a use, recorded before the list is read.
      const [first] = await tokens(env(), a);
      expect(first).toEqual({
        id: expect.stringMatching(/^tok_[A-Za-z0-9_-]{16}$/),
        name: 'default',
        kind: 'user',
        scope: 'write',
        applicationId: null,
        createdAt: new Date(T0).toISOString(),
        lastUsedAt: new Date(T0).toISOString(),
      });
      // Within the minute no use is written; from the minute on, the next use is.
      clock = T0 + 59_999;
      expect((await tokens(env(), a))[0].lastUsedAt).toBe(new Date(T0).toISOString());
      clock = T0 + 60_000;
      expect((await tokens(env(), a))[0].lastUsedAt).toBe(new Date(T0 + 60_000).toISOString());
      clock = T0 + 90_000;
      expect((await tokens(env(), a))[0].lastUsedAt).toBe(new Date(T0 + 60_000).toISOString());
      clock = T0;
    });

    it('a read token reads everything and changes nothing; the dashboard learns its scope', async () => {
      const a = await env().newAccount();
      const wh = (await call(env(), a, 'POST', '/api/v1/warehouses', { name: 'Main' }, 201)).body.id as number;
      const created = (await call(env(), a, 'POST', '/api/v1/tokens', { name: 'dashboard', scope: 'read' }, 201)).body;
      expect(created).toEqual({
        id: expect.stringMatching(/^tok_/),
        name: 'dashboard',
        kind: 'user',
        scope: 'read',
        applicationId: null,
        createdAt: new Date(clock).toISOString(),
        lastUsedAt: null,
        token: expect.stringMatching(/^shk_/),
      });
      const r = as(created.token);
      expect((await call(env(), r, 'GET', '/api/v1/warehouses', undefined, 200)).body.data.map((w: any) => w.id)).toEqual([wh]);
      const head = await env().app.inject({ method: 'HEAD', url: `/api/v1/warehouses/${wh}`, headers: r.auth });
      expect(head.statusCode).toBe(200);
      expect((await call(env(), r, 'GET', '/api/v1/tokens/current', undefined, 200)).body).toEqual({
        ...created,
        token: undefined,
        lastUsedAt: new Date(clock).toISOString(),
        accountId: a.id,
      });
      for (const [method, url, body] of [
        ['POST', '/api/v1/warehouses', { name: 'Second' }],
        ['PATCH', `/api/v1/warehouses/${wh}`, { name: 'Renamed' }],
        ['DELETE', `/api/v1/warehouses/${wh}`, undefined],
        ['POST', '/api/v1/tokens', { name: 'escalate', scope: 'write' }],
        ['POST', `/api/v1/accounts/${a.id}/tokens`, { name: 'escalate', scope: 'write' }],
      ] as const) {
        const res = await call(env(), r, method, url, body, 403);
        expect(res.body.error).toEqual({
          code: 'INSUFFICIENT_SCOPE',
          message: `token ${created.id} is a read token: it may only GET and HEAD`,
          details: { tokenId: created.id, scope: 'read' },
        });
      }
      // Reading the token list is managing tokens: a write token's business.
      expect((await call(env(), r, 'GET', '/api/v1/tokens', undefined, 403)).body.error.code).toBe('INSUFFICIENT_SCOPE');
      expect((await call(env(), r, 'GET', `/api/v1/accounts/${a.id}/tokens`, undefined, 403)).body.error.code).toBe('INSUFFICIENT_SCOPE');
      // Kladana's routes refuse in Kladana's error shape.
      const kl = await env().app.inject({ method: 'POST', url: '/api/remap/1.2/entity/webhookstock', headers: r.auth, payload: {} });
      expect(kl.statusCode).toBe(403);
      expect(kl.json().errors[0].moreInfo).toContain('INSUFFICIENT_SCOPE');
      // Nothing changed.
      expect((await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 200)).body.data.map((w: any) => [w.id, w.name])).toEqual([[wh, 'Main']]);
      // Both were made at the same fixed clock time, where the order is the ids' (random).
      expect((await tokens(env(), a)).map((t) => [t.name, t.scope]).sort()).toEqual([['dashboard', 'read'], ['default', 'write']]);
    });

    it('rotation keeps the id, name and scope and refuses the old secret at once; revocation refuses the token at once', async () => {
      const a = await env().newAccount();
      const erp = (await call(env(), admin(env()), 'POST', `/api/v1/accounts/${a.id}/tokens`, { name: 'ERP', scope: 'write' }, 201)).body;
      const old = as(erp.token);
      await call(env(), old, 'GET', '/api/v1/warehouses', undefined, 200);
      const rotated = (await call(env(), a, 'POST', `/api/v1/tokens/${erp.id}/rotate`, undefined, 200)).body;
      expect(rotated).toEqual({ ...erp, token: expect.stringMatching(/^shk_/), lastUsedAt: null });
      expect(rotated.token).not.toBe(erp.token);
      expect((await call(env(), old, 'GET', '/api/v1/warehouses', undefined, 401)).body.error).toEqual({ code: 'UNAUTHORIZED', message: 'unknown token' });
      const fresh = as(rotated.token);
      await call(env(), fresh, 'POST', '/api/v1/warehouses', { name: 'By ERP' }, 201);
      // The administrator rotates through the account's path.
      const again = (await call(env(), admin(env()), 'POST', `/api/v1/accounts/${a.id}/tokens/${erp.id}/rotate`, undefined, 200)).body;
      await call(env(), fresh, 'GET', '/api/v1/warehouses', undefined, 401);

      await call(env(), a, 'DELETE', `/api/v1/tokens/${erp.id}`, undefined, 204);
      await call(env(), as(again.token), 'GET', '/api/v1/warehouses', undefined, 401);
      expect((await tokens(env(), a)).map((t) => t.name)).toEqual(['default']);
      const gone = await call(env(), a, 'DELETE', `/api/v1/tokens/${erp.id}`, undefined, 404);
      expect(gone.body.error).toEqual({ code: 'NOT_FOUND', message: `token ${erp.id} not found`, details: { object: 'token', id: erp.id } });
    });

    it('a retried token creation with the same Idempotency-Key answers the same token and makes one', async () => {
      const a = await env().newAccount();
      const send = () =>
        env().app.inject({ method: 'POST', url: '/api/v1/tokens', headers: { ...a.auth, 'idempotency-key': 'new-erp-token' }, payload: { name: 'ERP', scope: 'write' } });
      const first = await send();
      const again = await send();
      expect([first.statusCode, again.statusCode]).toEqual([201, 201]);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      expect((await tokens(env(), a)).map((t) => t.name).sort()).toEqual(['ERP', 'default']);
      await call(env(), as(first.json().token), 'GET', '/api/v1/warehouses', undefined, 200);
    });

    it("an account cannot revoke its last write token; the administrator can", async () => {
      const a = await env().newAccount();
      const [own] = await tokens(env(), a);
      const reader = (await call(env(), a, 'POST', '/api/v1/tokens', { name: 'reports', scope: 'read' }, 201)).body;
      const refused = await call(env(), a, 'DELETE', `/api/v1/tokens/${own.id}`, undefined, 409);
      expect(refused.body.error.code).toBe('LAST_WRITE_TOKEN');
      expect((await call(env(), a, 'DELETE', `/api/v1/accounts/${a.id}/tokens/${own.id}`, undefined, 409)).body.error.code).toBe('LAST_WRITE_TOKEN');
      await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 200);
      // A second write token makes the first one revocable, by itself included.
      const second = (await call(env(), a, 'POST', '/api/v1/tokens', { name: 'second', scope: 'write' }, 201)).body;
      await call(env(), a, 'DELETE', `/api/v1/tokens/${own.id}`, undefined, 204);
      await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 401);
      await call(env(), admin(env()), 'DELETE', `/api/v1/accounts/${a.id}/tokens/${second.id}`, undefined, 204);
      await call(env(), as(second.token), 'GET', '/api/v1/warehouses', undefined, 401);
      expect((await tokens(env(), admin(env()), a.id)).map((t) => [t.name, t.scope])).toEqual([['reports', 'read']]);
      await call(env(), as(reader.token), 'GET', '/api/v1/warehouses', undefined, 200);
    });

    it('two write tokens revoking each other at once leave one of them', async () => {
      const a = await env().newAccount();
      const [own] = await tokens(env(), a);
      const second = (await call(env(), a, 'POST', '/api/v1/tokens', { name: 'second', scope: 'write' }, 201)).body;
      const [x, y] = await Promise.all([
        call(env(), a, 'DELETE', `/api/v1/tokens/${second.id}`),
        call(env(), as(second.token), 'DELETE', `/api/v1/tokens/${own.id}`),
      ]);
      // The loser either found itself the last write token (409) or was already revoked (401).
      expect([x.status, y.status].filter((st) => st === 204)).toEqual([204]);
      for (const r of [x, y]) if (r.status !== 204) expect(['LAST_WRITE_TOKEN', 'UNAUTHORIZED']).toContain(r.body.error.code);
      const left = await tokens(env(), admin(env()), a.id);
      expect(left.map((t) => t.scope)).toEqual(['write']);
    });

    it("tokens of another account, unknown ids and bad input are refused and change nothing", async () => {
      const a = await env().newAccount();
      const b = await env().newAccount();
      const [bTok] = await tokens(env(), b);
      const before = await tokens(env(), a);
      const cross = await call(env(), b, 'GET', `/api/v1/accounts/${a.id}/tokens`, undefined, 403);
      expect(cross.body.error).toEqual({ code: 'FORBIDDEN', message: "an account token manages only its own account's tokens" });
      await call(env(), b, 'POST', `/api/v1/accounts/${a.id}/tokens`, { name: 'x', scope: 'write' }, 403);
      await call(env(), b, 'DELETE', `/api/v1/accounts/${a.id}/tokens/${before[0].id}`, undefined, 403);
      // Another account's token id through one's own path is simply not found.
      await call(env(), a, 'DELETE', `/api/v1/tokens/${bTok.id}`, undefined, 404);
      await call(env(), a, 'POST', `/api/v1/tokens/${bTok.id}/rotate`, undefined, 404);
      const none = '00000000-0000-4000-8000-000000000000';
      expect((await call(env(), admin(env()), 'GET', `/api/v1/accounts/${none}/tokens`, undefined, 404)).body.error.details).toEqual({ object: 'account', id: none });
      await call(env(), admin(env()), 'POST', `/api/v1/accounts/${none}/tokens`, { name: 'x', scope: 'read' }, 404);
      for (const body of [{ name: '', scope: 'read' }, { name: 'x', scope: 'admin' }, { name: 'x' }, { name: 'x', scope: 'read', extra: 1 }, { name: 'a\nb', scope: 'read' }, { name: 'x'.repeat(101), scope: 'read' }]) {
        expect((await call(env(), a, 'POST', '/api/v1/tokens', body, 400)).body.error.code).toBe('VALIDATION_FAILED');
      }
      for (const url of ['/api/v1/tokens/nope/rotate', `/api/v1/accounts/not-a-uuid/tokens`]) {
        expect((await call(env(), a, url.endsWith('rotate') ? 'POST' : 'GET', url, undefined, 400)).body.error.code).toBe('VALIDATION_FAILED');
      }
      await call(env(), null, 'GET', '/api/v1/tokens', undefined, 401);
      await call(env(), null, 'GET', `/api/v1/accounts/${a.id}/tokens`, undefined, 401);
      expect(await tokens(env(), a)).toEqual(before.map((t) => ({ ...t, lastUsedAt: expect.any(String) })));
      expect((await tokens(env(), b)).map((t) => t.id)).toEqual([bTok.id]);
    });

    it("an installed application's token is listed, refused token management, and revoked only by uninstalling", async () => {
      const a = await env().newAccount();
      const appId = (await call(env(), admin(env()), 'POST', '/api/v1/applications', { name: 'Listed app' }, 201)).body.id as number;
      const appToken = (await call(env(), a, 'POST', `/api/v1/applications/${appId}/install`, undefined, 201)).body.accessToken as string;
      const listed = (await tokens(env(), a)).find((t) => t.kind === 'application');
      expect(listed).toEqual({
        id: expect.stringMatching(/^tok_/),
        name: 'application',
        kind: 'application',
        scope: 'write',
        applicationId: appId,
        createdAt: new Date(clock).toISOString(),
        lastUsedAt: null,
      });
      const refused = await call(env(), a, 'DELETE', `/api/v1/tokens/${listed.id}`, undefined, 422);
      expect(refused.body.error.code).toBe('INVALID_STATE');
      await call(env(), a, 'POST', `/api/v1/tokens/${listed.id}/rotate`, undefined, 422);
      expect((await call(env(), as(appToken), 'GET', '/api/v1/tokens', undefined, 403)).body.error.code).toBe('FORBIDDEN');
      await call(env(), as(appToken), 'GET', '/api/v1/warehouses', undefined, 200);
      await call(env(), a, 'POST', `/api/v1/applications/${appId}/uninstall`, undefined, 204);
      expect((await tokens(env(), a)).map((t) => t.kind)).toEqual(['user']);
    });
  },
  { now: () => clock },
);
