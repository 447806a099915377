import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb, type TestEnv } from '../support/env.js';
import { call, levels, warehouse } from '../support/fixtures.js';
import { Receiver } from '../support/receiver.js';
import { documents, listening, requests, settled, source } from './helpers.js';
import { kladana, send } from './senders.js';

/*
 * A Kladana account as a source, written from Kladana's webhookstock document (seed
 * 001_b7c5f6582b1849dd.txt): a thin notification {accountId, stockType, reportType, reportUrl}
 * POSTed to the URL with ?requestId=, answered 200 or 204 within 1500 ms (else 3 more immediate
 * attempts with the same requestId); the changed balances are in the report at reportUrl, read
 * with the account's credentials. The report is served here by a test server on 127.0.0.1 (the
 * test config allows private targets).
 */

const AUTH = 'Basic ' + Buffer.from('admin@shop:secret-password').toString('base64');

describeEachDb('a Kladana source', (env) => {
  let report: Receiver;
  beforeAll(async () => {
    report = await Receiver.start((r) => {
      if (r.headers.authorization !== AUTH) return { status: 401, body: '{"errors":[{"error":"Authentication"}]}' };
      if (r.url.startsWith('/api/remap/1.2/report/stock/bystore/current')) {
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ assortmentId: 'a-1', storeId: 's-1', stock: 17 }, { assortmentId: 'a-2', storeId: 's-1', stock: 0 }]) };
      }
      if (r.url.startsWith('/api/remap/1.2/report/stock/all/current')) {
        return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ assortmentId: 'a-1', stock: 30 }]) };
      }
      return { status: 404 };
    });
  });
  afterAll(async () => report.close());

  async function account(e: TestEnv, extra: object = {}) {
    const a = await e.newAccount();
    const w = await warehouse(e, a, 'Store 1', { code: 's-1' });
    const p1 = (await call(e, a, 'POST', '/api/v1/products', { title: 'Tea', sku: 'a-1' }, 201)).body.id as number;
    const p2 = (await call(e, a, 'POST', '/api/v1/products', { title: 'Cups', sku: 'a-2' }, 201)).body.id as number;
    await call(e, a, 'POST', '/api/v1/documents', { type: 'receipt', warehouseId: w, lines: [{ productId: p2, quantity: 5 }] }, 201);
    const s = await source(e, a, { name: 'Kladana', format: 'kladana', reportAuthorization: AUTH, reportBaseUrl: report.url('/api/remap/1.2/'), ...extra });
    return { a, w, p1, p2, s };
  }

  it('a notification is answered 204 at once, then the report is fetched with the credentials and its rows booked', async () => {
    const { a, w, p1, p2, s } = await account(env());
    expect(s).toMatchObject({ hasSecret: false, hasReportAuthorization: true });
    expect(JSON.stringify(s)).not.toContain('secret-password');
    const base = await listening(env());
    const requestId = randomUUID();
    const res = await send(base, kladana(s.path, requestId, { accountId: 'acc-1', reportType: 'bystore', reportUrl: report.url('/api/remap/1.2/report/stock/bystore/current?fromDate=2022-09-24 19:14:32') }));
    expect(res.status).toBe(204);
    const log = await settled(env(), a, s.id, 1);
    expect(log[0]).toMatchObject({ deliveryKey: requestId, outcome: 'booked', answer: { status: 204 } });
    const fetched = report.requests.filter((r) => r.url.startsWith('/api/remap/1.2/report/stock/bystore/current'));
    expect(fetched.at(-1)!.method).toBe('GET');
    const byProduct = Object.fromEntries((await levels(env(), a)).map((l) => [l.productId, [l.warehouseId, l.amount]]));
    expect(byProduct[p1]).toEqual([w, 17]);
    expect(byProduct[p2]).toEqual([w, 0]);
    expect((await documents(env(), a)).filter((d) => d.type === 'count')).toHaveLength(1);
  });

  it("Kladana's resend with the same requestId books once; reportType all goes to the default warehouse", async () => {
    const { a, w, p1, s } = await account(env());
    const base = await listening(env());
    await call(env(), a, 'PATCH', `/api/v1/sources/${s.id}`, { defaultWarehouseId: w }, 200);
    const note = kladana(s.path, randomUUID(), { accountId: 'acc-1', reportType: 'all', reportUrl: report.url('/api/remap/1.2/report/stock/all/current') });
    expect((await send(base, note)).status).toBe(204);
    await settled(env(), a, s.id, 1);
    expect((await send(base, note)).status).toBe(204);
    const log = await settled(env(), a, s.id, 2);
    expect(log.map((r) => r.outcome)).toEqual(['duplicate', 'booked']);
    expect((await levels(env(), a, `?productId=${p1}`)).map((l) => [l.warehouseId, l.amount])).toEqual([[w, 30]]);
    expect((await documents(env(), a)).filter((d) => d.type === 'count')).toHaveLength(1);
  });

  it('a reportUrl outside the source\'s reportBaseUrl is not fetched: the credentials go nowhere else', async () => {
    const { a, p1, s } = await account(env());
    const base = await listening(env());
    const before = report.requests.length;
    const res = await send(base, kladana(s.path, randomUUID(), { accountId: 'acc-1', reportType: 'bystore', reportUrl: 'http://127.0.0.1:9/steal' }));
    expect(res.status).toBe(204);
    const log = await settled(env(), a, s.id, 1);
    expect(log[0].outcome).toBe('failed');
    expect(log[0].detail.reason).toContain('reportUrl is not under');
    expect(report.requests.length).toBe(before);
    expect(await levels(env(), a, `?productId=${p1}`)).toEqual([]);
  });
});
