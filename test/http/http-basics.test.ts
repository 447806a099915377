import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { describeEachDb } from '../support/env.js';
import { call } from '../support/fixtures.js';

describeEachDb('HTTP basics', (env) => {
  it('healthz answers with the database in use', async () => {
    const res = await env().app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', database: env().db });
  });

  it('only the administrator creates accounts; tokens work as Bearer and as the Basic password', async () => {
    const anon = await env().app.inject({ method: 'POST', url: '/api/v1/accounts', payload: { name: 'x' } });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('UNAUTHORIZED');
    const a = await env().newAccount('free');
    expect(a).toMatchObject({ number: expect.any(Number), slug: expect.stringMatching(/^test-/), token: expect.stringMatching(/^shk_/) });
    const asAccount = await env().app.inject({ method: 'POST', url: '/api/v1/accounts', headers: a.auth, payload: { name: 'x' } });
    expect(asAccount.statusCode).toBe(401);
    const basic = `Basic ${Buffer.from(`someone@example.com:${a.token}`).toString('base64')}`;
    const viaBasic = await env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: { authorization: basic } });
    expect(viaBasic.statusCode).toBe(200);
    expect(viaBasic.json()).toEqual({ data: [] });
    const wrong = await env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: { authorization: 'Bearer shk_nope' } });
    expect(wrong.statusCode).toBe(401);
    const none = await env().app.inject({ method: 'GET', url: '/api/v1/stock' });
    expect(none.json().error.code).toBe('UNAUTHORIZED');
  });

  it('account numbers and slugs are unique', async () => {
    const made = await Promise.all(Array.from({ length: 5 }, () => env().newAccount()));
    expect(new Set(made.map((m) => m.number)).size).toBe(5);
    const twice = await Promise.all(
      ['Same Name', 'Same Name'].map((name) =>
        env().app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { authorization: `Bearer ${env().adminToken}` }, payload: { name } }),
      ),
    );
    expect(twice.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(twice[0].json().slug).not.toBe(twice[1].json().slug);
  });

  it('malformed JSON is 400, a body over 1 MiB is 413, an unknown route is 404, and none changes anything', async () => {
    const a = await env().newAccount();
    const bad = await env().app.inject({
      method: 'POST',
      url: '/api/v1/warehouses',
      headers: { ...a.auth, 'content-type': 'application/json' },
      payload: '{"name": "x",',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('MALFORMED_JSON');
    const big = await env().app.inject({
      method: 'POST',
      url: '/api/v1/warehouses',
      headers: { ...a.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const nowhere = await call(env(), a, 'GET', '/api/v1/nowhere', undefined, 404);
    expect(nowhere.body.error.code).toBe('ROUTE_NOT_FOUND');
    expect((await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 200)).body.data).toEqual([]);
  });
});

describeEachDb('OpenAPI and the error list', (env) => {
  it('serves /openapi.json with every public route and /docs', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/api/v1/accounts', '/api/v1/warehouses/{id}', '/api/v1/products', '/api/v1/documents', '/api/v1/documents/{id}/cancel', '/api/v1/stock', '/api/v1/events', '/healthz']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    const docs = await env().app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('<title>stockhook API reference</title>');
  });

  it('the error list, the OpenAPI Error schema and the table in docs/api/errors.md agree', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const schema = doc.components.schemas.Error;
    const codes = [...schema.properties.error.properties.code.enum].sort();
    expect(codes).toEqual(Object.keys(ERRORS).sort());
    const page = readFileSync(new URL('../../docs/api/errors.md', import.meta.url), 'utf8');
    const rows = [...page.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(ERRORS).map(([c, e]) => [c, e.status])));
  });
});
