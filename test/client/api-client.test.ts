import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../scripts/client-types.js';
import { createStockhookClient, describeApiError } from '../../src/client/index.js';
import { describeEachDb } from '../support/env.js';

describe('src/client/api-types.ts', () => {
  it('is what openapi-typescript makes of the current OpenAPI document (after a route changes: npm run client:generate)', async () => {
    const committed = readFileSync(CLIENT_TYPES_FILE, 'utf8');
    const fresh = await generateClientTypes();
    // A failure here means the routes changed and the published client's types did not follow.
    expect(committed === fresh, 'src/client/api-types.ts is stale: run `npm run client:generate` and commit it').toBe(true);
    expect(committed).toContain('"/api/v1/documents": {');
  }, 120_000);
});

describe('describeApiError', () => {
  it("says an error answer in one line: stockhook's envelope, Kladana's, or just the status", () => {
    expect(describeApiError(404, { error: { code: 'NOT_FOUND', message: 'webhook x not found' } })).toBe('HTTP 404 NOT_FOUND: webhook x not found');
    expect(describeApiError(400, { errors: [{ error: 'bad filter', code: 1001 }] })).toBe('HTTP 400: bad filter');
    expect(describeApiError(502, 'Bad Gateway')).toBe('HTTP 502');
    expect(describeApiError(500, null)).toBe('HTTP 500');
  });
});

describeEachDb('stockhook/client against a real server', (env) => {
  let base: string;
  beforeAll(async () => {
    await env().app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(env().app.server.address() as AddressInfo).port}/`;
  });

  it('creates and reads with the typed paths, sends the token, and returns the error envelope on a refusal', async () => {
    const a = await env().newAccount();
    // A trailing slash on the base URL is fine.
    const api = createStockhookClient({ baseUrl: base, token: a.token });
    const created = await api.POST('/api/v1/warehouses', { body: { name: 'Client depot', code: 'CD-1' } });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ name: 'Client depot', code: 'CD-1', active: true });
    const id = created.data?.id as number;
    const read = await api.GET('/api/v1/warehouses/{id}', { params: { path: { id } } });
    expect(read.data).toEqual(created.data);

    const missing = await api.GET('/api/v1/warehouses/{id}', { params: { path: { id: id + 1000 } } });
    expect(missing.response.status).toBe(404);
    expect(missing.data).toBeUndefined();
    expect(missing.error).toMatchObject({ error: { code: 'NOT_FOUND' } });

    const stranger = createStockhookClient({ baseUrl: base, token: 'not-a-token' });
    const refused = await stranger.GET('/api/v1/warehouses');
    expect(refused.response.status).toBe(401);
    expect(describeApiError(refused.response.status, refused.error)).toMatch(/^HTTP 401 UNAUTHORIZED: \S/);
  });
});
