import { beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/accounts/tokens.js';
import type { App } from '../../src/app.js';
import { compose } from '../../src/compose.js';
import { formatKladanaDate, kladanaReportPath, parseKladanaDate } from '../../src/webhooks/formats/kladana-report-link.js';
import { ADMIN_TOKEN, describeEachDb, TEST_PUBLIC_URL, type TestAccount, type TestEnv } from '../support/env.js';
import { call, post, product, warehouse } from '../support/fixtures.js';

const ALL = '/api/remap/1.2/report/stock/all/current';
const BYSTORE = '/api/remap/1.2/report/stock/bystore/current';
const T1 = Date.UTC(2024, 4, 1, 10, 0, 0, 250);
const T2 = Date.UTC(2024, 4, 1, 10, 5, 0, 0);

describe('kladana report dates', () => {
  it('builds the seed\'s reportUrl path and parses only real UTC dates', () => {
    expect(kladanaReportPath('all', Date.UTC(2022, 8, 24, 19, 14, 32, 999))).toBe(
      '/api/remap/1.2/report/stock/all/current?fromDate=2022-09-24 19:14:32',
    );
    expect(kladanaReportPath('bystore', 0)).toBe('/api/remap/1.2/report/stock/bystore/current?fromDate=1970-01-01 00:00:00');
    expect(parseKladanaDate('2022-09-24 19:14:32')).toBe(Date.UTC(2022, 8, 24, 19, 14, 32));
    for (const bad of ['2022-02-30 10:00:00', '2022-09-24T19:14:32', '2022-09-24', '2022-09-24 24:00:00', ' 2022-09-24 19:14:32']) {
      expect(parseKladanaDate(bad), bad).toBeUndefined();
    }
    expect(formatKladanaDate(T1)).toBe('2024-05-01 10:00:00');
  });
});

describeEachDb('kladana stock reports', (env) => {
  // Documents are posted through an app with a fixed clock, so stock_levels.updated_ms is known.
  let clocked: TestEnv;
  let clock = T1;
  let a: TestAccount;
  let w1: number;
  let w2: number;
  let p: number[];

  const get = async (url: string, status = 200, auth: Record<string, string> = a.auth) => {
    const res = await clocked.app.inject({ method: 'GET', url, headers: auth });
    expect(res.statusCode, res.body).toBe(status);
    return res.json();
  };

  beforeAll(async () => {
    const { ctx, app } = await compose(env().store, {
      settings: { allowPrivateTargets: true, publicUrl: TEST_PUBLIC_URL },
      now: () => clock,
      http: { adminTokenHash: hashToken(ADMIN_TOKEN) },
    });
    clocked = { ...env(), ctx, app: app as App };
    a = await env().newAccount();
    w1 = await warehouse(clocked, a, 'W1');
    w2 = await warehouse(clocked, a, 'W2');
    p = [];
    for (let i = 0; i < 4; i++) p.push(await product(clocked, a, { sku: `S${i}`, title: `P${i}` }));
    const [p1, p2, p3, p4] = p;
    clock = T1;
    await post(clocked, a, { type: 'receipt', warehouseId: w1, lines: [{ productId: p1, quantity: 10 }, { productId: p2, quantity: 5 }, { productId: p4, quantity: 2 }] });
    await post(clocked, a, { type: 'receipt', warehouseId: w2, lines: [{ productId: p2, quantity: 3 }, { productId: p3, lot: 'L1', quantity: 2 }, { productId: p3, lot: 'L2', quantity: 1.5 }] });
    clock = T2;
    await post(clocked, a, { type: 'sale', warehouseId: w1, lines: [{ productId: p2, quantity: 5 }, { productId: p4, quantity: 2 }] });
    await post(clocked, a, { type: 'receipt', warehouseId: w2, lines: [{ productId: p3, lot: 'L1', quantity: 4 }] });
    return () => clocked.app.close();
  });

  it('all: current full balances of products changed at or after changedSince, zeros included', async () => {
    const [, p2, p3, p4] = p;
    const expected = [{ assortmentId: p2, stock: 3 }, { assortmentId: p3, stock: 7.5 }, { assortmentId: p4, stock: 0 }];
    expect(await get(`${ALL}?changedSince=2024-05-01%2010:05:00`)).toEqual(expected);
    expect(await get(`${ALL}?changedSince=2024-05-01+10:04:59`)).toEqual(expected);
    expect(await get(`${ALL}?fromDate=2024-05-01%2010:05:00`)).toEqual(expected);
    expect(await get(`${ALL}?fromDate=2024-05-01%2010:05:01`)).toEqual([]);
  });

  it('all: without a date, every product that has stock levels; with an early date, the same', async () => {
    const [p1, p2, p3, p4] = p;
    const everything = [
      { assortmentId: p1, stock: 10 },
      { assortmentId: p2, stock: 3 },
      { assortmentId: p3, stock: 7.5 },
      { assortmentId: p4, stock: 0 },
    ];
    expect(await get(ALL)).toEqual(everything);
    expect(await get(`${ALL}?changedSince=2024-05-01%2010:00:00`)).toEqual(everything);
  });

  it('bystore: one row per changed product and warehouse, the unchanged warehouse left out', async () => {
    const [p1, p2, p3, p4] = p;
    expect(await get(`${BYSTORE}?changedSince=2024-05-01%2010:05:00`)).toEqual([
      { assortmentId: p2, storeId: w1, stock: 0 },
      { assortmentId: p3, storeId: w2, stock: 7.5 },
      { assortmentId: p4, storeId: w1, stock: 0 },
    ]);
    expect(await get(BYSTORE)).toEqual([
      { assortmentId: p1, storeId: w1, stock: 10 },
      { assortmentId: p2, storeId: w1, stock: 0 },
      { assortmentId: p2, storeId: w2, stock: 3 },
      { assortmentId: p3, storeId: w2, stock: 7.5 },
      { assortmentId: p4, storeId: w1, stock: 0 },
    ]);
  });

  it('serves the path kladanaReportPath builds for the notification', async () => {
    const [, p2, p3, p4] = p;
    const url = kladanaReportPath('all', T2).replace(' ', '%20');
    expect((await get(url)).map((r: any) => r.assortmentId)).toEqual([p2, p3, p4]);
  });

  it('answers 400 naming the parameter for a malformed date', async () => {
    for (const [name, value] of [['changedSince', '2024-13-01%2010:00:00'], ['fromDate', 'yesterday'], ['fromDate', '2024-05-01T10:00:00Z']]) {
      for (const path of [ALL, BYSTORE]) {
        const body = await get(`${path}?${name}=${value}`, 400);
        // Kladana's error shape: {"errors": [{"error", "code", "moreInfo"}]}.
        expect(Object.keys(body)).toEqual(['errors']);
        expect(body.errors[0]).toMatchObject({ code: 4000, moreInfo: expect.any(String) });
        expect(body.errors[0].error).toContain(name);
      }
    }
  });

  it('accepts Basic auth with the token as password, refuses a wrong token, and scopes to the account', async () => {
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    expect(await get(ALL, 200, basic('admin@shop', a.token))).toHaveLength(4);
    expect(await get(BYSTORE, 200, basic('admin@shop', a.token))).toHaveLength(5);
    expect((await get(ALL, 401, basic('admin@shop', 'wrong-token'))).errors[0].code).toBe(4010);
    expect((await get(BYSTORE, 401, {})).errors[0].code).toBe(4010);
    const other = await env().newAccount();
    expect(await get(ALL, 200, other.auth)).toEqual([]);
    expect((await call(clocked, other, 'GET', BYSTORE, undefined, 200)).body).toEqual([]);
  });
});
