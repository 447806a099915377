import { Writable } from 'node:stream';
import pino from 'pino';
import { expect, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import type { App } from '../../src/app.js';
import { compose } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { redactUrl } from '../../src/http/request-log.js';
import type { TestAccount, TestEnv } from '../support/env.js';
import { ADMIN_TOKEN, describeEachDb, TEST_PUBLIC_URL } from '../support/env.js';

/** An app of its own over the suite's database, for options the shared one does not have. */
async function appWith(env: TestEnv, http: { adminTokenHash: string; metricsTokenHash?: string; logger?: pino.Logger }): Promise<App> {
  const { app } = await compose(env.store, { settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL }, http });
  return app as App;
}
import { call, events, levels, product, warehouse } from '../support/fixtures.js';

/** Sends a body as raw JSON text, so it can hold what JSON.stringify cannot produce (1e400, "\ud800"). */
async function raw(env: TestEnv, a: TestAccount, method: 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, json: string, headers: Record<string, string> = {}) {
  const res = await env.app.inject({ method, url, headers: { ...a.auth, 'content-type': 'application/json', ...headers }, payload: json });
  return { status: res.statusCode, body: res.body ? res.json() : undefined };
}

/**
 * The status and stockhook's stable code of a refusal; the Kladana routes answer in Kladana's shape
 * (`{"errors":[{error, code, moreInfo}]}`), whose moreInfo names the same stable code.
 */
const refused = (r: { status: number; body: any }) => [r.status, err(r).code];

/** The refusal in either shape: stockhook's `{error}`, or Kladana's `{errors}` (per item in a bulk answer, the refused one). */
function err(r: { body: any }): { code?: string; message?: string; field?: string } {
  if (r.body?.error) return { code: r.body.error.code, message: r.body.error.message, field: r.body.error.details?.field };
  const lists: any[] = Array.isArray(r.body) ? r.body.map((x: any) => x?.errors?.[0]) : [r.body?.errors?.[0]];
  const e = lists.find((x) => x && !String(x.error).startsWith('not applied')) ?? lists[0];
  return { code: /stockhook error ([A-Z_]+)/.exec(e?.moreInfo ?? '')?.[1], message: e?.error, field: e?.parameter };
}

/** What a request must not have changed: the account's events, and with them every write. */
async function snapshot(env: TestEnv, a: TestAccount) {
  return { events: (await events(env, a)).length, levels: await levels(env, a) };
}

describeEachDb('hostile input: bodies are JSON with types, never coerced', (env) => {
  it('wrong JSON types are 400 naming the field, and book nothing', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const before = await snapshot(env(), a);
    for (const quantity of ['5', true, [3], null, '1e400', 'Infinity']) {
      const r = await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity }] });
      expect(refused(r), JSON.stringify(quantity)).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toBe('body.lines[0].quantity must be number');
    }
    const titled = await call(env(), a, 'POST', '/api/v1/products', { title: 12345 });
    expect(refused(titled)).toEqual([400, 'VALIDATION_FAILED']);
    expect(titled.body.error.message).toBe('body.title must be string');
    const asString = await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: String(w), lines: [{ productId: p, quantity: 1 }] });
    expect(asString.body.error.message).toBe('body.warehouseId must be integer');
    expect(await snapshot(env(), a)).toEqual(before);
  });

  it('a number JSON cannot hold (1e400) is 400 too', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const r = await raw(env(), a, 'POST', '/api/v1/documents', `{"type":"receipt","warehouseId":${w},"lines":[{"productId":${p},"quantity":1e400}]}`);
    expect(refused(r)).toEqual([400, 'VALIDATION_FAILED']);
    expect(await levels(env(), a)).toEqual([]);
  });

  it('querystrings and path params still arrive as text: ?productId=5 and /products/7 work', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 2 }] }, 201);
    expect((await levels(env(), a, `?productId=${p}&warehouseId=${w}&nonZero=true`)).map((l) => l.amount)).toEqual([2]);
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.id).toBe(p);
    expect((await call(env(), a, 'GET', '/api/v1/events?after=0&limit=1', undefined, 200)).body.data).toHaveLength(1);
  });

  it('"Infinity" and "1e400" in a querystring are 400, not an unbounded number', async () => {
    const a = await env().newAccount();
    for (const url of ['/api/v1/events?after=Infinity', '/api/v1/events?after=1e400', '/api/v1/stock?productId=-Infinity', '/api/remap/1.2/entity/webhookstock?offset=Infinity']) {
      const r = await call(env(), a, 'GET', url);
      expect(refused(r), url).toEqual([400, 'VALIDATION_FAILED']);
      expect(err(r).message, url).toMatch(/^querystring\.\w+ must/);
    }
  });
});

describeEachDb('hostile input: strings the databases cannot store as sent', (env) => {
  it('a NUL character is 400 on both databases, in a body, a querystring and a path', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const before = await snapshot(env(), a);
    const body = await call(env(), a, 'POST', '/api/v1/warehouses', { name: 'a\u0000b' });
    expect(refused(body)).toEqual([400, 'VALIDATION_FAILED']);
    expect(body.body.error.message).toBe('body.name must not contain NUL characters');
    const patch = await call(env(), a, 'PATCH', `/api/v1/warehouses/${w}`, { code: '\u0000' });
    expect(refused(patch)).toEqual([400, 'VALIDATION_FAILED']);
    const query = await call(env(), a, 'GET', '/api/v1/products?supplierProductId=%00');
    expect(refused(query)).toEqual([400, 'VALIDATION_FAILED']);
    expect(query.body.error.message).toBe('querystring.supplierProductId must not contain NUL characters');
    const kladana = await call(env(), a, 'GET', '/api/remap/1.2/entity/webhookstock/a%00b');
    expect(refused(kladana)).toEqual([400, 'VALIDATION_FAILED']);
    const kladanaPut = await call(env(), a, 'PUT', '/api/remap/1.2/entity/webhookstock/a%00b', { enabled: false });
    expect(refused(kladanaPut)).toEqual([400, 'VALIDATION_FAILED']);
    const kladanaBody = await call(env(), a, 'POST', '/api/remap/1.2/entity/webhookstock', { url: 'https://example.com/\u0000', stockType: 'stock', reportType: 'all' });
    expect(refused(kladanaBody)).toEqual([400, 'VALIDATION_FAILED']);
    expect(await snapshot(env(), a)).toEqual(before);
    expect((await call(env(), a, 'GET', '/api/v1/warehouses', undefined, 200)).body.data.map((x: any) => x.name)).toEqual(['Main']);
  });

  it('lone surrogates are 400: different inputs never collapse into one stock key', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    for (const lot of ['\\ud800', '\\udfff', 'x\\ud83d']) {
      const r = await raw(env(), a, 'POST', '/api/v1/documents', `{"type":"receipt","warehouseId":${w},"lines":[{"productId":${p},"lot":"${lot}","quantity":1}]}`);
      expect(refused(r), lot).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toBe('body.lines[0].lot must not contain unpaired surrogates (invalid Unicode)');
    }
    // A valid pair (an emoji) is fine and stays itself.
    await raw(env(), a, 'POST', '/api/v1/documents', `{"type":"receipt","warehouseId":${w},"lines":[{"productId":${p},"lot":"\\ud83d\\ude00","quantity":1}]}`);
    expect((await levels(env(), a)).map((l) => [l.lot, l.amount])).toEqual([['\u{1F600}', 1]]);
  });
});

describeEachDb('hostile input: an empty body is no body, whatever the content-type', (env) => {
  it('DELETE with content-type: application/json and no body works (a Kladana client does this)', async () => {
    const a = await env().newAccount();
    const p = await product(env(), a);
    const del = await env().app.inject({ method: 'DELETE', url: `/api/v1/products/${p}`, headers: { ...a.auth, 'content-type': 'application/json' } });
    expect(del.statusCode).toBe(204);
    const hook = await call(env(), a, 'POST', '/api/remap/1.2/entity/webhookstock', { url: 'https://example.com/k', stockType: 'stock', reportType: 'all' }, 200);
    const delHook = await env().app.inject({
      method: 'DELETE',
      url: `/api/remap/1.2/entity/webhookstock/${hook.body.id}`,
      headers: { ...a.auth, 'content-type': 'application/json; charset=utf-8' },
    });
    expect(delHook.statusCode).toBe(200);
    // POST .../claim with no body means "everything", also with the header set.
    const w = await warehouse(env(), a);
    const order = await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w }, 201);
    for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
      const claim = await env().app.inject({ method: 'POST', url: `/api/v1/outbound-orders/${order.body.id}/claim`, headers: { ...a.auth, 'content-type': type } });
      expect(claim.statusCode, type).toBe(200);
    }
  });

  it('a non-empty body of another media type is still 415, and malformed JSON still 400', async () => {
    const a = await env().newAccount();
    const xml = await env().app.inject({ method: 'POST', url: '/api/v1/warehouses', headers: { ...a.auth, 'content-type': 'application/xml' }, payload: '<w/>' });
    expect([xml.statusCode, xml.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const bad = await raw(env(), a, 'POST', '/api/v1/warehouses', '{"name":');
    expect(refused(bad)).toEqual([400, 'MALFORMED_JSON']);
    const poisoned = await raw(env(), a, 'POST', '/api/v1/warehouses', '{"name":"x","__proto__":{"admin":true}}');
    expect(poisoned.status).toBe(400);
  });
});

/** Every object schema under a request body, with where it sits. */
function objectSchemas(schema: any, at: string, out: Array<[string, any]> = []): Array<[string, any]> {
  if (schema === null || typeof schema !== 'object') return out;
  if (schema.type === 'object' || schema.properties) out.push([at, schema]);
  for (const [k, v] of Object.entries(schema.properties ?? {})) objectSchemas(v, `${at}.${k}`, out);
  if (schema.items) objectSchemas(schema.items, `${at}[]`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const s of schema[key] ?? []) objectSchemas(s, at, out);
  return out;
}

describeEachDb('hostile input: unknown fields are 400 naming the field', (env) => {
  it('every request body schema refuses unknown fields (the Kladana routes check theirs in code)', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const loose: string[] = [];
    let bodies = 0;
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      if (path.startsWith('/api/remap/1.2/entity/webhookstock')) continue;
      for (const [method, op] of Object.entries<any>(methods)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        bodies++;
        for (const [at, s] of objectSchemas(schema, `${method.toUpperCase()} ${path} body`)) {
          if (s.additionalProperties !== false) loose.push(at);
        }
      }
    }
    expect(bodies).toBeGreaterThan(15);
    expect(loose).toEqual([]);
  });

  it('a typo is 400 naming it, at any depth, and changes nothing', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a, { supplierProductId: 'S-1', sizes: [{ value: 'M' }] });
    const before = await snapshot(env(), a);
    const cases: Array<[string, string, object, string]> = [
      ['POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 5, quantitty: 3 }] }, 'body.lines[0].quantitty'],
      ['POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 5 }], warehouse: 2 }, 'body.warehouse'],
      ['PATCH', `/api/v1/products/${p}`, { titel: 'x' }, 'body.titel'],
      ['PATCH', `/api/v1/products/${p}`, { sizes: [{ value: 'M', sizeID: 3 }] }, 'body.sizes[0].sizeID'],
      ['POST', '/api/v1/supplier/stock', { supplierProductId: 'S-1', action: 'receipts', sizes: [{ value: 'M', count: 1, cnt: 2 }] }, 'body.sizes[0].cnt'],
      ['POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 1, qty: 1 }] }, 'body.items[0].qty'],
      ['POST', '/api/v1/stock-items', { frameId: 'F1', location: { rack: 'R' } }, 'body.location.rack'],
      ['POST', '/api/v1/webhooks', { url: 'https://example.com/h', basicAuth: { username: 'u', password: 'p', realm: 'x' } }, 'body.basicAuth.realm'],
      ['POST', '/api/remap/1.2/entity/webhookstock', { url: 'https://example.com/k', stockType: 'stock', reportTyp: 'all' }, 'reportTyp'],
      ['POST', '/api/remap/1.2/entity/webhookstock', [{ url: 'https://example.com/k', stockType: 'stock', reportType: 'all', enable: true }], '[0].enable'],
    ];
    for (const [method, url, payload, field] of cases) {
      const r = await call(env(), a, method as 'POST', url, payload);
      expect(refused(r), `${method} ${url} ${JSON.stringify(payload)}`).toEqual([400, 'VALIDATION_FAILED']);
      expect(err(r).message).toBe(`${field} is not a known field`);
    }
    expect(await snapshot(env(), a)).toEqual(before);
    expect((await call(env(), a, 'GET', '/api/v1/stock-items', undefined, 200)).body.data).toEqual([]);
    expect((await call(env(), a, 'GET', '/api/v1/webhooks', undefined, 200)).body.data).toEqual([]);
  });

  it("the vendor documents' own example payloads are still accepted (seed 001 and 002)", async () => {
    const a = await env().newAccount();
    await warehouse(env(), a);
    await product(env(), a, { supplierProductId: 'SS21CA2N', sizes: [{ value: 'XL', sizeId: 5 }] });
    const PATH = '/api/remap/1.2/entity/webhookstock';
    const meta = (id: string) => ({ href: `https://app.kladana.in${PATH}/${id}`, metadataHref: `https://app.kladana.in${PATH}/metadata`, type: 'webhookstock', mediaType: 'application/json' });
    // Seed 001: create, bulk create-and-update with a whole meta, change and disable, bulk delete.
    const created = await call(env(), a, 'POST', PATH, { url: 'http://www.example.com', enabled: true, reportType: 'all', stockType: 'stock' }, 200);
    const bulk = await call(env(), a, 'POST', PATH, [
      { url: 'http://www.example.com/2', stockType: 'stock', reportType: 'all' },
      { meta: meta(created.body.id), url: 'http://www.example.com', stockType: 'stock', reportType: 'bystore' },
    ], 200);
    expect(bulk.body.map((e: any) => e.reportType)).toEqual(['all', 'bystore']);
    // What a client read, sent back whole with one change: the read-only fields are ignored.
    const readBack = (await call(env(), a, 'GET', `${PATH}/${created.body.id}`, undefined, 200)).body;
    await call(env(), a, 'PUT', `${PATH}/${created.body.id}`, { ...readBack, enabled: false }, 200);
    await call(env(), a, 'PUT', `${PATH}/${created.body.id}`, { url: 'http://www.example.com', stockType: 'stock', reportType: 'bystore' }, 200);
    const deleted = await call(env(), a, 'POST', `${PATH}/delete`, bulk.body.map((e: any) => ({ meta: meta(e.id) })), 200);
    expect(deleted.body).toHaveLength(2);
    // Seed 002: the supplier's example, with its optional soldCount and sizeId.
    await call(env(), a, 'POST', '/api/v1/supplier/stock', { supplierProductId: 'SS21CA2N', action: 'receipts', sizes: [{ value: 'XL', count: 3 }] }, 200);
    await call(env(), a, 'POST', '/api/v1/supplier/stock', { supplierProductId: 'SS21CA2N', action: 'sold', newPrice: 76000, sizes: [{ value: 'XL', count: 2, soldCount: 1, sizeId: 5 }] }, 200);
  });
});

describeEachDb('hostile input: every number is finite and within its documented range', (env) => {
  it('document quantities: 0 to 1,000,000,000 with at most 6 decimals; a refused one changes nothing', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const line = (quantity: unknown) => ({ type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity }] });
    await call(env(), a, 'POST', '/api/v1/documents', line(1_000_000_000), 201);
    await call(env(), a, 'POST', '/api/v1/documents', line(0.123456), 201);
    const before = await snapshot(env(), a);
    const cases: Array<[unknown, string]> = [
      [1_000_000_000.5, 'body.lines[0].quantity must be <= 1000000000'],
      [1e300, 'body.lines[0].quantity must be <= 1000000000'],
      [-1, 'body.lines[0].quantity must be >= 0'],
      [0.1234567, 'body.lines[0].quantity must have at most 6 decimal places'],
      ['Infinity', 'body.lines[0].quantity must be number'],
    ];
    for (const [quantity, message] of cases) {
      const r = await call(env(), a, 'POST', '/api/v1/documents', line(quantity));
      expect([r.status, r.body.error.message], String(quantity)).toEqual([400, message]);
    }
    expect(await snapshot(env(), a)).toEqual(before);
    // The poisoning sequence of the issue: the level stays finite, so a huge sale is refused and a count repairs.
    expect((await levels(env(), a)).map((l) => l.amount)).toEqual([1_000_000_000.123456]);
    const sale = await call(env(), a, 'POST', '/api/v1/documents', { type: 'sale', warehouseId: w, lines: [{ productId: p, quantity: 1_000_000_000 }, { productId: p, quantity: 1 }] });
    expect(refused(sale)).toEqual([422, 'INSUFFICIENT_STOCK']);
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'count', warehouseId: w, lines: [{ productId: p, quantity: 3 }] }, 201);
    expect((await levels(env(), a)).map((l) => l.amount)).toEqual([3]);
  });

  it('the supplier API: count, soldCount and newPrice are bounded the same way', async () => {
    const a = await env().newAccount();
    await warehouse(env(), a);
    const p = await product(env(), a, { supplierProductId: 'S-1', sizes: [{ value: 'M' }], price: 10 });
    const before = await snapshot(env(), a);
    const sized = (extra: object) => ({ supplierProductId: 'S-1', action: 'receipts', sizes: [{ value: 'M', count: 1, ...extra }] });
    const cases: Array<[object, string]> = [
      [sized({ count: 'Infinity' }), 'body.sizes[0].count must be number'],
      [sized({ count: 1e10 }), 'body.sizes[0].count must be <= 1000000000'],
      [sized({ soldCount: 1e10 }), 'body.sizes[0].soldCount must be <= 1000000000'],
      [{ supplierProductId: 'S-1', action: 'price', newPrice: '1e400' }, 'body.newPrice must be number'],
      [{ supplierProductId: 'S-1', action: 'price', newPrice: 1e12 }, 'body.newPrice must be <= 1000000000'],
      [{ supplierProductId: 'S-1', action: 'price', newPrice: 0.0000001 }, 'body.newPrice must have at most 6 decimal places'],
    ];
    for (const [payload, message] of cases) {
      const r = await call(env(), a, 'POST', '/api/v1/supplier/stock', payload);
      expect([r.status, r.body.error.message], JSON.stringify(payload)).toEqual([400, message]);
    }
    const raw1e400 = await raw(env(), a, 'POST', '/api/v1/supplier/stock', '{"supplierProductId":"S-1","action":"price","newPrice":1e400}');
    expect(refused(raw1e400)).toEqual([400, 'VALIDATION_FAILED']);
    expect(await snapshot(env(), a)).toEqual(before);
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.price).toBe(10);
    await call(env(), a, 'POST', '/api/v1/supplier/stock', { supplierProductId: 'S-1', action: 'price', newPrice: 76000.25 }, 200);
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.price).toBe(76000.25);
  });

  it('product prices: finite, 0 to 1,000,000,000, at most 6 decimals', async () => {
    const a = await env().newAccount();
    const p = await product(env(), a, { price: 1 });
    for (const price of ['Infinity', 1e9 + 1, -0.5, 1.0000001]) {
      const r = await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { price });
      expect(refused(r), String(price)).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toMatch(/^body\.price must/);
    }
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.price).toBe(1);
  });

  it('the OpenAPI document states the ranges', async () => {
    const doc = (await env().app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const line = doc.paths['/api/v1/documents'].post.requestBody.content['application/json'].schema.properties.lines.items.properties;
    expect(line.quantity).toMatchObject({ type: 'number', minimum: 0, maximum: 1_000_000_000, 'x-decimals': 6 });
    expect(line.productId).toMatchObject({ type: 'integer', minimum: 1, maximum: 2_147_483_647 });
  });
});

describeEachDb('hostile input: nothing is committed that cannot be read back', (env) => {
  it('an outbound order with a non-finite or out-of-range quantity is 400 before any write; the orders list keeps working', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const before = await snapshot(env(), a);
    for (const quantity of ['Infinity', '1e400', 1e300, 1.5, 0, [3], true]) {
      const r = await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity }] });
      expect(refused(r), JSON.stringify(quantity)).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toMatch(/^body\.items\[0\]\.quantity must/);
    }
    const r = await raw(env(), a, 'POST', '/api/v1/outbound-orders', `{"warehouseId":${w},"items":[{"productId":${p},"quantity":1e400}]}`);
    expect(refused(r)).toEqual([400, 'VALIDATION_FAILED']);
    expect(await snapshot(env(), a)).toEqual(before);
    expect((await call(env(), a, 'GET', '/api/v1/outbound-orders', undefined, 200)).body.data).toEqual([]);
    const ok = await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, items: [{ productId: p, quantity: 1_000_000_000 }] }, 201);
    expect(ok.body.items[0].quantity).toBe(1_000_000_000);
    expect((await call(env(), a, 'GET', '/api/v1/outbound-orders', undefined, 200)).body.data).toHaveLength(1);
  });
});

describeEachDb('hostile input: ids beyond the integer range are the same 400 on both databases', (env) => {
  it('path ids, body ids, query ids, event cursors and delivery cursors', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const before = await snapshot(env(), a);
    for (const url of [
      '/api/v1/products/2147483648',
      '/api/v1/products/9007199254740993',
      '/api/v1/products/1e30',
      '/api/v1/products/7.5',
      '/api/v1/products/0',
      '/api/v1/products/abc',
      '/api/v1/warehouses/99999999999',
      '/api/v1/documents/2147483648',
      '/api/v1/outbound-orders/2147483648',
      '/api/v1/stock-items/2147483648',
      '/api/v1/stock?productId=9007199254740993',
      '/api/v1/stock?warehouseId=2147483648',
      '/api/v1/stock/metakocka?productId=2147483648',
      '/api/v1/outbound-orders?after=2147483648',
      '/api/v1/events?after=1e30',
      '/api/v1/events?after=9007199254740993',
    ]) {
      const r = await call(env(), a, 'GET', url);
      expect(refused(r), url).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(refused(await call(env(), a, 'DELETE', '/api/v1/products/2147483648'))).toEqual([400, 'VALIDATION_FAILED']);
    // The largest id is a plain 404.
    expect(refused(await call(env(), a, 'GET', '/api/v1/products/2147483647'))).toEqual([404, 'NOT_FOUND']);
    for (const productId of [9007199254740993, 2147483648]) {
      const r = await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId, quantity: 1 }] });
      expect(refused(r)).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toBe('body.lines[0].productId must be <= 2147483647');
    }
    const order = await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: 2147483648, items: [{ productId: p, quantity: 1 }] });
    expect(refused(order)).toEqual([400, 'VALIDATION_FAILED']);
    expect(await snapshot(env(), a)).toEqual(before);
  });

  it('a forged deliveries cursor is 400, not a database error', async () => {
    const a = await env().newAccount();
    const forged = (s: string) => Buffer.from(s).toString('base64url');
    for (const cursor of [forged('99999999999999999999:00000000-0000-0000-0000-000000000000'), forged('1:not-a-uuid'), forged('1:a\u0000b'), forged('1e30:x'), 'abc']) {
      const r = await call(env(), a, 'GET', `/api/v1/deliveries?cursor=${cursor}`);
      expect(refused(r), cursor).toEqual([400, 'VALIDATION_FAILED']);
    }
    const ok = await call(env(), a, 'GET', `/api/v1/deliveries?cursor=${forged('1767225600000:00000000-0000-4000-8000-000000000000')}`, undefined, 200);
    expect(ok.body).toEqual({ data: [], nextCursor: null });
  });
});

describeEachDb('hostile input: dates are real calendar dates', (env) => {
  it('an expiry that is not a calendar date is 400 and never becomes a stock key', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    const line = (expiry: string) => ({ type: 'receipt', warehouseId: w, lines: [{ productId: p, expiry, quantity: 1 }] });
    for (const expiry of ['2026-02-30', '9999-99-99', '2026-13-01', '2023-02-29', '2026-04-31', '2026-1-01', '20260101']) {
      const r = await call(env(), a, 'POST', '/api/v1/documents', line(expiry));
      expect(refused(r), expiry).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toBe('body.lines[0].expiry must match format "date"');
    }
    expect(await levels(env(), a)).toEqual([]);
    await call(env(), a, 'POST', '/api/v1/documents', line('2024-02-29'), 201);
    expect((await levels(env(), a)).map((l) => l.expiry)).toEqual(['2024-02-29']);
  });

  it("an outbound order's preferredDeliveryAt must be a real time; nothing is written otherwise", async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const before = await snapshot(env(), a);
    for (const at of ['2026-02-30', '2026-02-30 10:00:00', '2026-04-31T00:00:00Z', '2026-01-01 24:00:00', '2026-01-01T10:61:00Z']) {
      const r = await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, preferredDeliveryAt: at });
      expect(refused(r), at).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect(await snapshot(env(), a)).toEqual(before);
    const ok = await call(env(), a, 'POST', '/api/v1/outbound-orders', { warehouseId: w, preferredDeliveryAt: '2024-02-29 10:00:00' }, 201);
    expect(ok.body.preferredDeliveryAt).toBe('2024-02-29T10:00:00.000Z');
    const patch = await call(env(), a, 'PATCH', `/api/v1/outbound-orders/${ok.body.id}`, { preferredDeliveryAt: '2025-02-29' });
    expect(refused(patch)).toEqual([400, 'VALIDATION_FAILED']);
    expect((await call(env(), a, 'GET', `/api/v1/outbound-orders/${ok.body.id}`, undefined, 200)).body.preferredDeliveryAt).toBe('2024-02-29T10:00:00.000Z');
  });

  it('date-times must be times: no 2026-02-30, no leap second that Date.parse cannot read', async () => {
    const a = await env().newAccount();
    for (const since of ['2026-02-30T00:00:00Z', '2026-06-30T23:59:60Z']) {
      const r = await call(env(), a, 'GET', `/api/v1/deliveries?since=${since}`);
      expect(refused(r), since).toEqual([400, 'VALIDATION_FAILED']);
      expect(r.body.error.message).toBe('querystring.since must match format "date-time"');
    }
    const kladana = await call(env(), a, 'GET', '/api/remap/1.2/report/stock/all/current?changedSince=2026-02-30%2000:00:00');
    expect(refused(kladana)).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describeEachDb('hostile input: Kladana hrefs', (env) => {
  it('a malformed percent-escape in a bulk delete href is 400 and deletes nothing', async () => {
    const a = await env().newAccount();
    const PATH = '/api/remap/1.2/entity/webhookstock';
    const hook = await call(env(), a, 'POST', PATH, { url: 'https://example.com/k', stockType: 'stock', reportType: 'all' }, 200);
    for (const tail of ['%E0%A4%A', '%', '%zz']) {
      const r = await call(env(), a, 'POST', `${PATH}/delete`, [{ meta: { href: `https://x${PATH}/${hook.body.id}` } }, { meta: { href: `https://x${PATH}/${tail}` } }]);
      expect(refused(r), tail).toEqual([400, 'VALIDATION_FAILED']);
      expect(err(r).field).toBe('[1].meta.href');
      const bulk = await call(env(), a, 'POST', PATH, [{ meta: { href: `https://x${PATH}/${tail}` }, enabled: false }]);
      expect(refused(bulk), tail).toEqual([400, 'VALIDATION_FAILED']);
    }
    expect((await call(env(), a, 'GET', PATH, undefined, 200)).body.rows.map((r: any) => [r.id, r.enabled])).toEqual([[hook.body.id, true]]);
  });
});

describeEachDb('hostile input: changing sizes cannot strand stock', (env) => {
  it('PATCH sizes is 409 while a removed size holds stock, and fine once it is empty', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a, { sizes: [{ value: 'M' }, { value: 'L' }, { value: 'XL' }] });
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, size: 'M', quantity: 2 }, { productId: p, size: 'L', quantity: 1 }] }, 201);
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'reserve', warehouseId: w, lines: [{ productId: p, size: 'L', quantity: 1 }] }, 201);
    const before = await snapshot(env(), a);
    for (const [sizes, stranded] of [
      [[], ['L', 'M']],
      [[{ value: 'M' }], ['L']],
      [[{ value: 'XL' }], ['L', 'M']],
    ] as const) {
      const r = await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { sizes });
      expect(refused(r), JSON.stringify(sizes)).toEqual([409, 'PRODUCT_HAS_STOCK']);
      expect(r.body.error.details).toEqual({ field: 'sizes', sizes: stranded });
    }
    expect(await snapshot(env(), a)).toEqual(before);
    expect((await call(env(), a, 'GET', `/api/v1/products/${p}`, undefined, 200)).body.sizes).toEqual([{ value: 'M' }, { value: 'L' }, { value: 'XL' }]);
    // XL holds nothing: it may go, and sizes may be reordered or given sizeIds.
    const ok = await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { sizes: [{ value: 'L', sizeId: 2 }, { value: 'M', sizeId: 1 }] }, 200);
    expect(ok.body.sizes).toEqual([{ value: 'L', sizeId: 2 }, { value: 'M', sizeId: 1 }]);
    // Once M and L are empty (the reservation released), they may go too.
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'release', warehouseId: w, lines: [{ productId: p, size: 'L', quantity: 1 }] }, 201);
    expect(refused(await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { sizes: [{ value: 'M' }] }))).toEqual([409, 'PRODUCT_HAS_STOCK']);
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'writeoff', warehouseId: w, lines: [{ productId: p, size: 'L', quantity: 1 }, { productId: p, size: 'M', quantity: 2 }] }, 201);
    await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { sizes: [] }, 200);
  });

  it('an unsized product with stock cannot be given sizes (its stock has no size)', async () => {
    const a = await env().newAccount();
    const w = await warehouse(env(), a);
    const p = await product(env(), a);
    await call(env(), a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p, quantity: 1 }] }, 201);
    const r = await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { sizes: [{ value: 'M' }] });
    expect(refused(r)).toEqual([409, 'PRODUCT_HAS_STOCK']);
    expect(r.body.error.details).toEqual({ field: 'sizes', sizes: [null] });
    await call(env(), a, 'PATCH', `/api/v1/products/${p}`, { sizes: [] }, 200);
  });
});

describeEachDb('hostile input: credentials are parsed strictly and never logged', (env) => {
  it('Authorization is one scheme and one token: junk after it, or a malformed Basic value, is 401', async () => {
    const a = await env().newAccount();
    const get = (authorization: string) => env().app.inject({ method: 'GET', url: '/api/v1/warehouses', headers: { authorization } });
    for (const good of [`Bearer ${a.token}`, `bearer ${a.token}`, `Basic ${Buffer.from(`me@shop:${a.token}`).toString('base64')}`, `Basic ${Buffer.from(`${a.token}:`).toString('base64')}`]) {
      expect((await get(good)).statusCode, good).toBe(200);
    }
    for (const bad of [`Bearer ${a.token} junk`, `Bearer ${a.token},x`, `Bearer "${a.token}"`, `Token ${a.token}`, `Bearer`, `Basic ${Buffer.from(`x:${a.token}`).toString('base64')} junk`, `Basic !!${Buffer.from(`x:${a.token}`).toString('base64')}`]) {
      const r = await get(bad);
      expect([r.statusCode, r.json().error.code], bad).toEqual([401, 'UNAUTHORIZED']);
      expect(r.json().error.message).toBe('the Authorization header must be exactly "Bearer <token>" or "Basic <base64>"');
    }
    const admin = await env().app.inject({ method: 'POST', url: '/api/v1/accounts', headers: { authorization: `Bearer ${ADMIN_TOKEN} junk` }, payload: { name: 'x' } });
    expect(admin.statusCode).toBe(401);
  });

  it('credentials in a query string are redacted in the request log (at debug, where successes are logged)', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const app = await appWith(env(), { adminTokenHash: hashToken(ADMIN_TOKEN), logger: pino({ level: 'debug' }, sink) });
    try {
      const a = await env().newAccount();
      await app.inject({ method: 'GET', url: `/api/v1/stock?productId=5&token=${a.token}&access_token=AT-s3cret&api_key=AK-s3cret&password=PW-s3cret&client_secret=CS-s3cret`, headers: a.auth });
      await app.inject({ method: 'GET', url: `/metrics?%74oken=encoded-s3cret` });
      const log = lines.join('');
      expect(log).toContain('"url":"/api/v1/stock?productId=5&token=[REDACTED]&access_token=[REDACTED]&api_key=[REDACTED]&password=[REDACTED]&client_secret=[REDACTED]"');
      for (const secret of [a.token, 'AT-s3cret', 'AK-s3cret', 'PW-s3cret', 'CS-s3cret', 'encoded-s3cret']) expect(log).not.toContain(secret);
    } finally {
      await app.close();
    }
  });
});

it('redactUrl keeps everything but the values of credential parameters', () => {
  expect(redactUrl('/a?b=1&token=x&Api-Key=y&key=z&flag&x=token')).toBe('/a?b=1&token=[REDACTED]&Api-Key=[REDACTED]&key=[REDACTED]&flag&x=token');
  expect(redactUrl('/plain')).toBe('/plain');
});

it('a configured administrator token must be sendable as a Bearer token', () => {
  const token = 'abc-123_x.y~z+/0123456789abcdef0123==';
  expect(loadConfig({}, { STOCKHOOK_ADMIN_TOKEN: token }).adminToken).toBe(token);
  expect(() => loadConfig({}, { STOCKHOOK_ADMIN_TOKEN: 'has space 0123456789abcdef0123456789' })).toThrow(/STOCKHOOK_ADMIN_TOKEN may contain only/);
});

describeEachDb('/metrics needs a token', (env) => {
  it('the metrics token or the administrator token; nothing else', async () => {
    const a = await env().newAccount();
    const app = await appWith(env(), { adminTokenHash: hashToken(ADMIN_TOKEN), metricsTokenHash: hashToken('prom-scrape-token') });
    try {
      const get = (authorization?: string) => app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
      for (const good of ['Bearer prom-scrape-token', `Bearer ${ADMIN_TOKEN}`, `Basic ${Buffer.from('prometheus:prom-scrape-token').toString('base64')}`]) {
        const r = await get(good);
        expect(r.statusCode, good).toBe(200);
        expect(r.body).toContain('stockhook_queue_depth');
      }
      for (const bad of [undefined, 'Bearer nope', `Bearer ${a.token}`, 'Bearer prom-scrape-token junk']) {
        const r = await get(bad);
        expect([r.statusCode, r.json().error.code], bad).toEqual([401, 'UNAUTHORIZED']);
        expect(r.body).not.toContain('stockhook_');
      }
    } finally {
      await app.close();
    }
    // Without a metrics token configured, the administrator token is the way in.
    expect((await env().app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    expect((await env().app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).statusCode).toBe(200);
  });
});

it('STOCKHOOK_METRICS_TOKEN is read once, and must be sendable as a Bearer token', () => {
  expect(loadConfig({}, { STOCKHOOK_METRICS_TOKEN: 'prom-1' }).metricsToken).toBe('prom-1');
  expect(loadConfig({}, {}).metricsToken).toBeUndefined();
  expect(() => loadConfig({}, { STOCKHOOK_METRICS_TOKEN: 'a b' })).toThrow(/STOCKHOOK_METRICS_TOKEN/);
});
