import { expect, it } from 'vitest';
import { describeEachDb, TEST_PUBLIC_URL } from '../support/env.js';
import { call, warehouse } from '../support/fixtures.js';
import { source } from './helpers.js';

/* The sources API: what an account registers, what it sees back (never a secret), and what it may not do. */

describeEachDb('the sources API', (env) => {
  it('creates a source with an unguessable inbound URL, lists, reads, changes and deletes it; secrets are never shown', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const hook = (await call(env(), a, 'POST', '/api/v1/webhooks', { url: 'http://127.0.0.1:9/poster', format: 'poster', objects: ['stock'], secret: 'x' }, 201)).body;
    const s = await source(env(), a, { name: 'Till', format: 'poster', secret: 'poster-app-secret', defaultWarehouseId: w, ownWebhookIds: [hook.id] });
    expect(s).toMatchObject({ name: 'Till', format: 'poster', mapping: 'sku', allowCreate: false, defaultWarehouseId: w, ownWebhookIds: [hook.id], enabled: true, hasSecret: true, hasReportAuthorization: false, reportBaseUrl: null, health: { lastRequest: null, unmatched: 0 } });
    // 32 random bytes, base64url: 43 characters.
    expect(s.url).toMatch(new RegExp(`^${TEST_PUBLIC_URL}/in/[A-Za-z0-9_-]{43}$`));
    expect(JSON.stringify(s)).not.toContain('poster-app-secret');
    const other = await source(env(), a, { name: 'Till 2', format: 'poster', secret: 'poster-app-secret' });
    expect(other.url).not.toBe(s.url);
    const list = (await call(env(), a, 'GET', '/api/v1/sources', undefined, 200)).body.data;
    expect(list.map((x: any) => x.id)).toEqual([s.id, other.id]);
    expect(JSON.stringify(list)).not.toContain('poster-app-secret');
    const changed = (await call(env(), a, 'PATCH', `/api/v1/sources/${s.id}`, { name: 'Bar till', mapping: 'code', enabled: false }, 200)).body;
    expect(changed).toMatchObject({ name: 'Bar till', mapping: 'code', enabled: false, url: s.url, hasSecret: true });
    expect((await call(env(), a, 'GET', `/api/v1/sources/${s.id}`, undefined, 200)).body.name).toBe('Bar till');
    await call(env(), a, 'DELETE', `/api/v1/sources/${s.id}`, undefined, 204);
    await call(env(), a, 'GET', `/api/v1/sources/${s.id}`, undefined, 404);
  });

  it('refuses a signing vendor without a secret, a foreign warehouse or subscription, a format change, and another account', async () => {
    const a = await env().newAccount();
    const b = await env().newAccount();
    const wb = await warehouse(env(), b, 'Theirs');
    const noSecret = await call(env(), a, 'POST', '/api/v1/sources', { name: 'MK', format: 'metakocka' }, 400);
    expect(noSecret.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'secret' } });
    const foreign = await call(env(), a, 'POST', '/api/v1/sources', { name: 'MK', format: 'metakocka', secret: 's', defaultWarehouseId: wb }, 400);
    expect(foreign.body.error.details).toEqual({ field: 'defaultWarehouseId' });
    const hook = await call(env(), a, 'POST', '/api/v1/sources', { name: 'MK', format: 'metakocka', secret: 's', ownWebhookIds: ['00000000-0000-4000-8000-000000000000'] }, 400);
    expect(hook.body.error.details).toEqual({ field: 'ownWebhookIds' });
    await call(env(), a, 'POST', '/api/v1/sources', { name: 'X', format: 'shopify', secret: 's' }, 400);
    const s = await source(env(), a, { name: 'Kladana', format: 'kladana' });
    expect(s).toMatchObject({ hasSecret: false, reportBaseUrl: 'https://app.kladana.in/api/remap/1.2/' });
    const fmt = await call(env(), a, 'PATCH', `/api/v1/sources/${s.id}`, { format: 'poster' }, 400);
    expect(fmt.body.error.details).toEqual({ field: 'format' });
    await call(env(), b, 'GET', `/api/v1/sources/${s.id}`, undefined, 404);
    await call(env(), b, 'GET', `/api/v1/sources/${s.id}/requests`, undefined, 404);
    await call(env(), b, 'DELETE', `/api/v1/sources/${s.id}`, undefined, 404);
    expect((await call(env(), b, 'GET', '/api/v1/sources', undefined, 200)).body.data).toEqual([]);
    const mapped = await call(env(), a, 'POST', `/api/v1/sources/${s.id}/mappings`, { kind: 'warehouse', externalId: 'x', targetId: wb }, 400);
    expect(mapped.body.error.details).toEqual({ field: 'targetId' });
    await call(env(), a, 'DELETE', `/api/v1/sources/${s.id}/mappings/warehouse/x`, undefined, 404);
  });

  it('a read token lists sources but changes none', async () => {
    const a = await env().newAccount();
    const read = (await call(env(), a, 'POST', '/api/v1/tokens', { name: 'viewer', scope: 'read' }, 201)).body;
    const reader = { ...a, token: read.token, auth: { authorization: `Bearer ${read.token}` } };
    await source(env(), a, { name: 'MK', format: 'metakocka', secret: 's' });
    expect((await call(env(), reader, 'GET', '/api/v1/sources', undefined, 200)).body.data).toHaveLength(1);
    const refused = await call(env(), reader, 'POST', '/api/v1/sources', { name: 'MK2', format: 'metakocka', secret: 's' }, 403);
    expect(refused.body.error.code).toBe('INSUFFICIENT_SCOPE');
  });
});
